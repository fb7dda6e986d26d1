package images

import (
	"path"
	"regexp"
	"strings"
)

// shellCommand is one simple command of a RUN script: its program's base name and its
// arguments, with leading variable assignments, sudo and env left out.
type shellCommand struct {
	prog string
	args []string
}

// commandSeparators split a script into simple commands. Quoting is not honoured: the
// scripts judged here are package installs and builds, where it rarely matters, and a
// separator inside quotes can only split one command in two, not invent one.
var commandSeparators = regexp.MustCompile(`&&|\|\||[;|&\n]`)

// parseScript splits a RUN script into simple commands.
func parseScript(script string) []shellCommand {
	script = strings.ReplaceAll(script, "\\\n", " ")
	var out []shellCommand
	for _, seg := range commandSeparators.Split(script, -1) {
		f := strings.Fields(seg)
		for len(f) > 0 {
			switch {
			case strings.Contains(f[0], "=") && !strings.HasPrefix(f[0], "-"):
				f = f[1:] // FOO=bar cmd
			case f[0] == "sudo" || f[0] == "env" || f[0] == "exec" || f[0] == "command" || f[0] == "time" || f[0] == "(" || f[0] == "{":
				f = f[1:]
			default:
				goto done
			}
		}
	done:
		if len(f) == 0 {
			continue
		}
		prog := path.Base(f[0])
		args := f[1:]
		// python -m pip install ... is pip.
		if strings.HasPrefix(prog, "python") && len(args) >= 2 && args[0] == "-m" {
			prog, args = args[1], args[2:]
		}
		out = append(out, shellCommand{prog, args})
	}
	return out
}

// operands are the arguments that are not options.
func (c shellCommand) operands() []string {
	var out []string
	for _, a := range c.args {
		if !strings.HasPrefix(a, "-") {
			out = append(out, a)
		}
	}
	return out
}

func (c shellCommand) has(flag string) bool {
	for _, a := range c.args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// subcommand is the first operand ("install" of apt-get install -y gcc).
func (c shellCommand) subcommand() string {
	if ops := c.operands(); len(ops) > 0 {
		return ops[0]
	}
	return ""
}

// pkgManager describes an operating system (or pip) package manager: how it installs, and
// what leaves no cache behind in the layer.
type pkgManager struct {
	name     string
	progs    []string
	installs []string // subcommands that install
	// noCacheFlag installs without keeping a cache; cleanup matches a command that removes
	// it later in the same RUN; cacheDirs are directories a cache mount may cover instead.
	noCacheFlag string
	cleanup     *regexp.Regexp
	cacheDirs   []string
	howToClean  string
}

var pkgManagers = []pkgManager{
	{
		name: "apt-get", progs: []string{"apt-get", "apt", "aptitude"}, installs: []string{"install", "upgrade", "dist-upgrade"},
		cleanup:    regexp.MustCompile(`rm\s+(-\S+\s+)*[^;&|\n]*/var/lib/apt/lists`),
		cacheDirs:  []string{"/var/lib/apt", "/var/lib/apt/lists"},
		howToClean: "end the RUN with `&& rm -rf /var/lib/apt/lists/*`",
	},
	{
		name: "apk", progs: []string{"apk"}, installs: []string{"add", "upgrade"},
		noCacheFlag: "--no-cache",
		cleanup:     regexp.MustCompile(`rm\s+(-\S+\s+)*[^;&|\n]*/var/cache/apk`),
		cacheDirs:   []string{"/var/cache/apk", "/etc/apk/cache"},
		howToClean:  "use `apk add --no-cache`",
	},
	{
		name: "yum/dnf", progs: []string{"yum", "dnf", "microdnf", "tdnf"}, installs: []string{"install", "groupinstall", "update", "upgrade", "reinstall"},
		cleanup:    regexp.MustCompile(`(yum|dnf|microdnf|tdnf)\s+(-\S+\s+)*clean\s+all|rm\s+(-\S+\s+)*[^;&|\n]*/var/cache/(yum|dnf)`),
		cacheDirs:  []string{"/var/cache/yum", "/var/cache/dnf", "/var/cache/tdnf"},
		howToClean: "end the RUN with `&& dnf clean all` (or yum/microdnf clean all)",
	},
	{
		name: "zypper", progs: []string{"zypper"}, installs: []string{"install", "in", "update", "up"},
		cleanup:    regexp.MustCompile(`zypper\s+(-\S+\s+)*(clean|cc)\b`),
		cacheDirs:  []string{"/var/cache/zypp"},
		howToClean: "end the RUN with `&& zypper clean --all`",
	},
	{
		name: "pip", progs: []string{"pip", "pip3"}, installs: []string{"install"},
		noCacheFlag: "--no-cache-dir",
		cleanup:     regexp.MustCompile(`rm\s+(-\S+\s+)*[^;&|\n]*\.cache/pip`),
		cacheDirs:   []string{"/root/.cache", "/root/.cache/pip"},
		howToClean:  "use `pip install --no-cache-dir` (or ENV PIP_NO_CACHE_DIR=1)",
	},
}

func (m *pkgManager) runs(prog string) bool {
	for _, p := range m.progs {
		if prog == p || strings.HasPrefix(prog, p) && strings.Trim(prog[len(p):], "0123456789.") == "" {
			return true
		}
	}
	return false
}

func (m *pkgManager) installing(c shellCommand) bool {
	if !m.runs(c.prog) {
		return false
	}
	sub := c.subcommand()
	for _, s := range m.installs {
		if sub == s {
			return true
		}
	}
	return false
}

// installedPackages lists the packages a command installs, for any package manager.
func installedPackages(c shellCommand) []string {
	for i := range pkgManagers {
		if pkgManagers[i].installing(c) {
			return c.operands()[1:]
		}
	}
	return nil
}
