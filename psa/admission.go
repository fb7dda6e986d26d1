package psa

import (
	"fmt"
	"os"
	"path/filepath"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/apis/apiserver"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	apiserverv1alpha1 "k8s.io/apiserver/pkg/apis/apiserver/v1alpha1"
	admissionapi "k8s.io/pod-security-admission/admission/api"
	psaload "k8s.io/pod-security-admission/admission/api/load"
	"k8s.io/pod-security-admission/admission/api/validation"
	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/config"
)

// PluginName is the PodSecurity admission plugin's name in an AdmissionConfiguration.
const PluginName = "PodSecurity"

// admissionScheme knows the AdmissionConfiguration versions the API server reads.
var admissionScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(apiserver.AddToScheme(s))
	utilruntime.Must(apiserverv1alpha1.AddToScheme(s))
	utilruntime.Must(apiserverv1.AddToScheme(s))
	return s
}()

// LoadAdmissionConfig reads the file the API server is given as
// --admission-control-config-file (an AdmissionConfiguration) or a bare
// PodSecurityConfiguration, and returns the PodSecurity plugin's configuration with the
// API server's defaults applied. A configuration the API server would refuse is an error.
// An AdmissionConfiguration without a PodSecurity entry yields the plugin's defaults.
func LoadAdmissionConfig(path string) (*config.PodSecurityAdmission, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseAdmissionConfig(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseAdmissionConfig is LoadAdmissionConfig on data; dir resolves a plugin's relative
// path, as the API server resolves it against the configuration file's folder.
func ParseAdmissionConfig(data []byte, dir string) (*config.PodSecurityAdmission, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(data, &tm); err != nil {
		return nil, err
	}
	var psc *admissionapi.PodSecurityConfiguration
	var err error
	switch tm.Kind {
	case "PodSecurityConfiguration":
		psc, err = psaload.LoadFromData(data)
	case "AdmissionConfiguration":
		psc, err = fromAdmissionConfiguration(data, dir)
	default:
		return nil, fmt.Errorf("kind %q: want AdmissionConfiguration or PodSecurityConfiguration", tm.Kind)
	}
	if err != nil {
		return nil, err
	}
	if errs := validation.ValidatePodSecurityConfiguration(psc); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	return &config.PodSecurityAdmission{
		Defaults: config.PodSecurityDefaults{
			Enforce: psc.Defaults.Enforce, EnforceVersion: psc.Defaults.EnforceVersion,
			Audit: psc.Defaults.Audit, AuditVersion: psc.Defaults.AuditVersion,
			Warn: psc.Defaults.Warn, WarnVersion: psc.Defaults.WarnVersion,
		},
		Exemptions: config.PodSecurityExemptions{
			Usernames:      psc.Exemptions.Usernames,
			Namespaces:     psc.Exemptions.Namespaces,
			RuntimeClasses: psc.Exemptions.RuntimeClasses,
		},
	}, nil
}

// fromAdmissionConfiguration decodes an AdmissionConfiguration strictly, as the API server
// does, and loads the PodSecurity plugin's embedded or referenced configuration.
func fromAdmissionConfiguration(data []byte, dir string) (*admissionapi.PodSecurityConfiguration, error) {
	codecs := serializer.NewCodecFactory(admissionScheme, serializer.EnableStrict)
	obj, err := runtime.Decode(codecs.UniversalDecoder(), data)
	if err != nil {
		return nil, err
	}
	ac, ok := obj.(*apiserver.AdmissionConfiguration)
	if !ok {
		return nil, fmt.Errorf("unexpected type %T", obj)
	}
	for _, p := range ac.Plugins {
		if p.Name != PluginName {
			continue
		}
		switch {
		case p.Configuration != nil:
			return psaload.LoadFromData(p.Configuration.Raw)
		case p.Path != "":
			path := p.Path
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, path)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("plugin %s: %w", PluginName, err)
			}
			c, err := psaload.LoadFromData(b)
			if err != nil {
				return nil, fmt.Errorf("plugin %s (%s): %w", PluginName, path, err)
			}
			return c, nil
		}
		break
	}
	return psaload.LoadFromData(nil)
}
