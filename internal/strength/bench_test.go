package strength

import (
	"testing"

	"github.com/trustelem/zxcvbn"
)

var benchPasswords = []string{"password", "Tr0ub4dor&3", "correcthorsebatterystaple", "qwerty123456", "11/11/1991", "j8#Kd!2pQz$7mW", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}

func BenchmarkScore(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range benchPasswords {
			Score(p, []string{"alice", "alice@example.com"})
		}
	}
}

func BenchmarkTrustelem(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range benchPasswords {
			zxcvbn.PasswordStrength(p, []string{"alice", "alice@example.com"})
		}
	}
}
