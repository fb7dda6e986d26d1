package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// The config is decoded as JSON (strictly, so that a misspelt key is not silently ignored),
// whose errors name neither a file nor a line. This file finds the line in the YAML the user
// wrote, so that errors read "file:line: message" as the rest of kubeharden's do.

var (
	unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)
	typeMismatch = regexp.MustCompile(`cannot unmarshal (\w+) into Go (?:struct field|value of type) (?:\w+\.)?([\w.]+)(?: of type ([\w.\[\]*]+))?`)
	yamlLineErr  = regexp.MustCompile(`yaml: line (\d+): (.*)`)
	dateErr      = regexp.MustCompile(`date "([^"]*)": want YYYY-MM-DD`)
)

// decodeError rewrites an error of yaml.UnmarshalStrict on data as "path:line: message".
func decodeError(path string, data []byte, err error) error {
	msg := err.Error()
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	at := func(line int, m string) error {
		if line > 0 {
			return fmt.Errorf("%s:%d: %s", path, line, m)
		}
		return fmt.Errorf("%s: %s", path, m)
	}
	switch {
	case yamlLineErr.MatchString(msg):
		m := yamlLineErr.FindStringSubmatch(msg)
		n, _ := strconv.Atoi(m[1])
		return at(n, "invalid YAML: "+m[2])
	case unknownField.MatchString(msg):
		key := unknownField.FindStringSubmatch(msg)[1]
		return at(findKey(&root, key), fmt.Sprintf("unknown field %q", key))
	case typeMismatch.MatchString(msg):
		m := typeMismatch.FindStringSubmatch(msg)
		field := m[2]
		parts := strings.Split(field, ".")
		line := findKey(&root, parts[len(parts)-1])
		want := strings.TrimPrefix(strings.TrimPrefix(m[3], "[]"), "config.")
		if strings.HasPrefix(m[3], "[]") {
			want = "a list"
		} else if want == "" || strings.Contains(m[3], "config.") {
			want = "a mapping"
		}
		return at(line, fmt.Sprintf("%s: expected %s, got %s", field, want, m[1]))
	case dateErr.MatchString(msg):
		m := dateErr.FindStringSubmatch(msg)
		return at(findValue(&root, m[1]), dateErr.FindString(msg))
	}
	return at(0, strings.TrimPrefix(strings.TrimPrefix(msg, "error unmarshaling JSON: "), "while decoding JSON: "))
}

// findKey is the line of the first mapping key named key, depth first.
func findKey(n *yaml.Node, key string) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	for _, c := range n.Content {
		if l := findKey(c, key); l > 0 {
			return l
		}
	}
	return 0
}

// findValue is the line of the first scalar value v.
func findValue(n *yaml.Node, v string) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.ScalarNode && n.Value == v {
		return n.Line
	}
	for _, c := range n.Content {
		if l := findValue(c, v); l > 0 {
			return l
		}
	}
	return 0
}

// exceptionLines are the lines of the items of the top-level exceptions list.
func exceptionLines(data []byte) []int {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 {
		return nil
	}
	top := root.Content[0]
	for i := 0; top.Kind == yaml.MappingNode && i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "exceptions" && top.Content[i+1].Kind == yaml.SequenceNode {
			var lines []int
			for _, item := range top.Content[i+1].Content {
				lines = append(lines, item.Line)
			}
			return lines
		}
	}
	return nil
}
