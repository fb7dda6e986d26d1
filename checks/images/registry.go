package images

import (
	"strconv"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
)

// RegistryNotAllowed reports images from registries outside the configured allowlist.
var RegistryNotAllowed = &check.Check{
	ID:    "images/registry-not-allowed",
	Title: "Image comes from a registry that is not allowed",
	Doc: "Images from an arbitrary registry bypass the scanning, signing and retention your own " +
		"registry enforces, and a typo in a public image name can pull an attacker's look-alike. " +
		"The check runs only when images.allowedRegistries is set in .kubeharden.yaml. An entry " +
		"is a registry host (\"ghcr.io\", \"registry.example.com:5000\") or a repository prefix " +
		"(\"ghcr.io/acme\" allows ghcr.io/acme/app but not ghcr.io/acme-evil/app). Images are " +
		"normalised first, as runtimes do: \"nginx\" is docker.io/library/nginx, so allowing Docker " +
		"Hub's official images is \"docker.io/library\". A reference that cannot be parsed is " +
		"reported, since its registry cannot be verified. Fix it by mirroring the image into an " +
		"allowed registry, or by extending the allowlist.",
	Severity:    check.High,
	References:  []string{refCIS, refNSA, refSupply, refDeployCtnr},
	Remediation: "Mirror the image into an allowed registry and reference it there, or add its registry to images.allowedRegistries.",
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeObject,
	CEL:         registryCEL(),
	Run: func(p *check.Pass) {
		allow := p.Config.Images.AllowedRegistries
		if len(allow) == 0 {
			return
		}
		eachImage(p.Inv, func(t inventory.PodTemplate, img inventory.ImageRef) {
			ref, err := ParseReference(img.Image)
			if err != nil {
				p.Reportf(t.Owner, img.Path+".image", "%s %q: %v, so its registry cannot be checked against the allowlist",
					containerWord(img.Path), img.Container, err)
				return
			}
			if Allowed(ref, allow) {
				return
			}
			p.Reportf(t.Owner, img.Path+".image", "%s %q runs image %q from %s, which images.allowedRegistries does not allow",
				containerWord(img.Path), img.Container, img.Image, ref.Name())
		})
	},
}

func init() {
	check.Register(RegistryNotAllowed)
}

// registryCEL is the check in CEL, with the allowlist as parameters: "allowedRegistries", the
// entries as Allowed reads them (trimmed, Docker Hub's legacy host renamed, the host in lower
// case) joined by commas, and "allowedRegistriesSet", "true" when the configuration lists
// any, blank ones included, as the Go form runs then. An image passes when ParseReference
// accepts it and Allowed allows it.
func registryCEL() *check.CEL {
	ok := "(!has(params.data) || !('allowedRegistriesSet' in params.data) || params.data.allowedRegistriesSet != 'true' || " + refCEL(`valid &&
  params.data.allowedRegistries.split(',').filter(e, e != '').exists(e,
    [e.split('/')[0]].all(h, [e.contains('/') ? e.substring(h.size() + 1) : ''].all(pre,
      h == rdom && (pre == '' || path == pre || path.startsWith(pre + '/')))))`) + ")"
	cel := imageCEL(ok, "images/registry-not-allowed: image %s comes from a registry images.allowedRegistries does not allow")
	cel.Params = func(cfg *config.Config) map[string]string {
		allow := cfg.Images.AllowedRegistries
		var entries []string
		for _, e := range allow {
			host, prefix, ok := parseEntry(e)
			if !ok {
				continue
			}
			if prefix != "" {
				host += "/" + prefix
			}
			entries = append(entries, host)
		}
		return map[string]string{"allowedRegistries": strings.Join(entries, ","), "allowedRegistriesSet": strconv.FormatBool(len(allow) > 0)}
	}
	return cel
}

// refCEL is body evaluated, for the image c.image, with what ParseReference finds in it
// bound to names: valid (it parses), rdom (the registry in lower case, "" when the first
// component is a path component), path, rest (the reference after the registry: a digest is
// there if anywhere), hasTag, tag. The API server's CEL has no cel.bind: [v].all(x, e) binds
// x to v in e instead.
func refCEL(body string) string {
	return `[c.image].all(i,
  [i.split('/')[0]].all(first,
  [i.contains('/') && (first == 'localhost' || first.contains('.') || first.contains(':') || first.lowerAscii() != first)].all(isDom,
  [!isDom || first == 'index.docker.io' ? 'docker.io' : first].all(dom,
  [!i.contains('/') ? 'library/' + i : (isDom ? i.substring(first.size() + 1) : i)].all(rest0,
  [dom == 'docker.io' && !rest0.contains('/') ? 'library/' + rest0 : rest0].all(rest,
  [rest.contains('@') ? rest.substring(0, rest.indexOf('@')) : rest].all(name,
  [!rest.contains('@') || rest.substring(rest.indexOf('@') + 1).matches('^(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$')].all(digOK,
  [name.lastIndexOf(':')].all(ci,
  [ci >= 0 && !name.substring(ci).contains('/')].all(hasTag,
  [hasTag ? name.substring(ci + 1) : ''].all(tag,
  [hasTag ? name.substring(0, ci) : name].all(repo,
  [!hasTag || tag.matches('^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$')].all(tagOK,
  [!isDom || dom.matches('^(\\[[0-9A-Fa-f:]+\\]|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)(:[0-9]+)?$')].all(domOK,
  [domOK ? dom.lowerAscii() : ''].all(rdom,
  [domOK ? repo : dom + '/' + repo].all(path,
  [!(i.size() == 64 && i.matches('^[0-9a-f]{64}$')) && digOK && tagOK && repo.lowerAscii() == repo &&
      (domOK || dom.matches('^` + componentRE + `$')) && path.size() <= 255 && path.matches('^` + componentRE + `(/` + componentRE + `)*$')].all(valid,
  ` + body + `
)))))))))))))))))`
}

// componentRE is a repository path component: lower-case alphanumeric runs joined by ".",
// "_", "__" or dashes.
const componentRE = `[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*`

// parseEntry splits an images.allowedRegistries entry into its registry host, in lower case
// and with "index.docker.io" read as docker.io, and its repository prefix; ok is false for an
// empty entry.
func parseEntry(e string) (host, prefix string, ok bool) {
	e = strings.TrimSuffix(strings.TrimSpace(e), "/")
	if e == "" {
		return "", "", false
	}
	host, prefix, _ = strings.Cut(e, "/")
	if strings.EqualFold(host, legacyHub) {
		host = dockerHub
	}
	return strings.ToLower(host), prefix, true
}

// Allowed reports whether ref is covered by one of entries: a registry host, compared without
// regard to case, or a host followed by a repository prefix that matches whole path
// components. "index.docker.io" means docker.io, as in image references.
func Allowed(ref Reference, entries []string) bool {
	for _, e := range entries {
		host, prefix, ok := parseEntry(e)
		if !ok {
			continue
		}
		if !strings.EqualFold(host, ref.Domain) {
			continue
		}
		if prefix == "" || ref.Path == prefix || strings.HasPrefix(ref.Path, prefix+"/") {
			return true
		}
	}
	return false
}
