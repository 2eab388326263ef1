package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
)

// Result is one figure of a run beside its ceiling. Name is one of the
// names issue 15 fixes for bench-results.json.
type Result struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Ceiling float64 `json:"ceiling"`
	Ratio   float64 `json:"ratio"`
	// Label and CeilingOf are for the table only: what was measured and
	// what the ceiling is.
	Label     string `json:"-"`
	CeilingOf string `json:"-"`
}

// NewResult fills Ratio from value and ceiling.
func NewResult(name, label string, value float64, unit string, ceiling float64, ceilingOf string) Result {
	return Result{Name: name, Label: label, Value: round(value), Unit: unit, Ceiling: round(ceiling),
		Ratio: math.Round(Ratio(value, ceiling)*1000) / 1000, CeilingOf: ceilingOf}
}

// round keeps three significant decimals for figures below 100 and whole
// numbers above, so that the JSON reads like the table.
func round(v float64) float64 {
	if math.Abs(v) >= 100 {
		return math.Round(v)
	}
	return math.Round(v*1000) / 1000
}

// WriteJSON writes results as the JSON list bench-results.json holds.
func WriteJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if results == nil {
		results = []Result{}
	}
	return enc.Encode(results)
}

// WriteJSONFile writes results to path.
func WriteJSONFile(path string, results []Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteJSON(f, results); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteTable prints results as a Markdown table (readable in a terminal,
// and pasted as is into docs/performance.md).
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "| figure\t value\t ceiling\t ratio\t ceiling is\t")
	fmt.Fprintln(tw, "|---\t---\t---\t---\t---\t")
	for _, r := range results {
		label := r.Label
		if label == "" {
			label = r.Name
		}
		fmt.Fprintf(tw, "| %s\t %s %s\t %s %s\t %.2f\t %s\t\n", label,
			formatValue(r.Value), r.Unit, formatValue(r.Ceiling), r.Unit, r.Ratio, r.CeilingOf)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return nil
}

func formatValue(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		s := fmt.Sprintf("%.2f", v)
		return strings.TrimSuffix(s, ".00")
	}
}
