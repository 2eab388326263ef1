package config

// TemplatesConfig is the `templates` section. Paths are relative to the
// working directory. The defaults follow the layout of upstream's pre-built
// release archives (everything under ./share/).
type TemplatesConfig struct {
	Path             string `yaml:"path,omitempty"`
	AssetsManifest   string `yaml:"assets_manifest,omitempty"`
	TranslationsPath string `yaml:"translations_path,omitempty"`
}

func (t *TemplatesConfig) setDefaults() {
	*t = TemplatesConfig{
		Path:             "./share/templates/",
		AssetsManifest:   "./share/manifest.json",
		TranslationsPath: "./share/translations/",
	}
}
