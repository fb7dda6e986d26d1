package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// errSlow sends a line to encoding/json: the fast decoder met something it does not handle
// (an escaped key, a field of an unexpected type, malformed JSON), and encoding/json gives the
// exact answer or the exact error.
var errSlow = errors.New("fast path not applicable")

// decodeFast fills ev from one line, reading only the fields this package needs and skipping
// the others by matching brackets and quotes, without building them. It returns errSlow for
// anything unusual; callers then decode with encoding/json, whose result it equals for every
// line both accept (FuzzDecodeFast). Skipped values are not validated beyond their brackets.
func decodeFast(line []byte, ev *event) error {
	return walkObject(line, func(key, v []byte) error {
		var err error
		switch string(key) {
		case "kind":
			ev.Kind, err = str(v)
		case "apiVersion":
			ev.APIVersion, err = str(v)
		case "level":
			ev.Level, err = str(v)
		case "auditID":
			ev.AuditID, err = str(v)
		case "stage":
			ev.Stage, err = str(v)
		case "requestURI":
			ev.RequestURI, err = str(v)
		case "verb":
			ev.Verb, err = str(v)
		case "user":
			err = userFast(v, &ev.User)
		case "impersonatedUser":
			if isNull(v) {
				ev.ImpersonatedUser = nil
				return nil
			}
			if ev.ImpersonatedUser == nil {
				ev.ImpersonatedUser = &userInfo{}
			}
			err = userFast(v, ev.ImpersonatedUser)
		case "objectRef":
			if isNull(v) {
				ev.ObjectRef = nil
				return nil
			}
			if ev.ObjectRef == nil {
				ev.ObjectRef = &objectRef{}
			}
			r := ev.ObjectRef
			err = walkObject(v, func(k, v []byte) error {
				var err error
				switch string(k) {
				case "resource":
					r.Resource, err = str(v)
				case "namespace":
					r.Namespace, err = str(v)
				case "name":
					r.Name, err = str(v)
				case "apiGroup":
					r.APIGroup, err = str(v)
				case "subresource":
					r.Subresource, err = str(v)
				default:
					return foldCheck(k, objectRefKeys)
				}
				return err
			})
		case "responseStatus":
			if isNull(v) {
				ev.ResponseStatus = nil
				return nil
			}
			if ev.ResponseStatus == nil {
				ev.ResponseStatus = &responseStatus{}
			}
			err = walkObject(v, func(k, v []byte) error {
				if string(k) != "code" {
					return foldCheck(k, statusKeys)
				}
				n, err := strconv.Atoi(string(v))
				if err != nil {
					return errSlow
				}
				ev.ResponseStatus.Code = n
				return nil
			})
		case "requestReceivedTimestamp":
			ev.RequestReceivedTimestamp, err = timestamp(v)
		case "stageTimestamp":
			ev.StageTimestamp, err = timestamp(v)
		case "annotations":
			if isNull(v) {
				return nil
			}
			err = walkObject(v, func(k, v []byte) error {
				if string(k) != decisionAnnotation {
					return nil
				}
				d, err := str(v)
				if ev.Annotations == nil {
					ev.Annotations = map[string]string{}
				}
				ev.Annotations[decisionAnnotation] = d
				return err
			})
		default:
			return foldCheck(key, eventKeys)
		}
		return err
	})
}

func userFast(v []byte, u *userInfo) error {
	return walkObject(v, func(k, v []byte) error {
		var err error
		switch string(k) {
		case "username":
			u.Username, err = str(v)
		case "groups":
			if isNull(v) {
				u.Groups = nil
				return nil
			}
			u.Groups = u.Groups[:0]
			if u.Groups == nil {
				u.Groups = []string{} // as encoding/json decodes [] (zero-size: no allocation)
			}
			err = walkArray(v, func(e []byte) error {
				s, err := str(e)
				u.Groups = append(u.Groups, s)
				return err
			})
		default:
			return foldCheck(k, userKeys)
		}
		return err
	})
}

// Field names read by the fast decoder. encoding/json also matches names case-insensitively:
// a key that differs from one of them only in case goes to it.
var (
	eventKeys     = []string{"kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user", "impersonatedUser", "objectRef", "responseStatus", "requestReceivedTimestamp", "stageTimestamp", "annotations"}
	objectRefKeys = []string{"resource", "namespace", "name", "apiGroup", "subresource"}
	statusKeys    = []string{"code"}
	userKeys      = []string{"username", "groups"}
)

func foldCheck(key []byte, names []string) error {
	for _, n := range names {
		if len(n) == len(key) && bytes.EqualFold(key, []byte(n)) {
			return errSlow
		}
	}
	return nil
}

func isNull(v []byte) bool { return string(v) == "null" }

// str decodes a JSON string without escapes directly, others through encoding/json.
func str(v []byte) (string, error) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", errSlow
	}
	in := v[1 : len(v)-1]
	if bytes.IndexByte(in, '\\') < 0 {
		for _, c := range in {
			if c < 0x20 || c >= 0x80 {
				return "", errSlow // control characters are invalid; non-ASCII needs UTF-8 checks
			}
		}
		return string(in), nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", errSlow
	}
	return s, nil
}

func timestamp(v []byte) (time.Time, error) {
	s, err := str(v)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errSlow
	}
	return t, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// walkObject calls f with each key (unescaped keys only) and the bytes of its value.
func walkObject(b []byte, f func(key, value []byte) error) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errSlow
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return trailing(b, i+1)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return errSlow
		}
		end := bytes.IndexByte(b[i+1:], '"')
		if end < 0 {
			return errSlow
		}
		key := b[i+1 : i+1+end]
		if bytes.IndexByte(key, '\\') >= 0 {
			return errSlow
		}
		i = skipSpace(b, i+2+end)
		if i >= len(b) || b[i] != ':' {
			return errSlow
		}
		i = skipSpace(b, i+1)
		j, err := skipValue(b, i)
		if err != nil {
			return err
		}
		if err := f(key, b[i:j]); err != nil {
			return err
		}
		i = skipSpace(b, j)
		if i >= len(b) {
			return errSlow
		}
		if b[i] == '}' {
			return trailing(b, i+1)
		}
		if b[i] != ',' {
			return errSlow
		}
		i = skipSpace(b, i+1)
	}
}

func walkArray(b []byte, f func(elem []byte) error) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return errSlow
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return trailing(b, i+1)
	}
	for {
		j, err := skipValue(b, i)
		if err != nil {
			return err
		}
		if err := f(b[i:j]); err != nil {
			return err
		}
		i = skipSpace(b, j)
		if i >= len(b) {
			return errSlow
		}
		if b[i] == ']' {
			return trailing(b, i+1)
		}
		if b[i] != ',' {
			return errSlow
		}
		i = skipSpace(b, i+1)
	}
}

func trailing(b []byte, i int) error {
	if skipSpace(b, i) != len(b) {
		return errSlow
	}
	return nil
}

// skipValue returns the end of the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errSlow
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errSlow
	}
	j := i
	for j < len(b) && !isSpace(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
		j++
	}
	switch lit := b[i:j]; {
	case string(lit) == "true" || string(lit) == "false" || string(lit) == "null":
	case len(lit) > 0 && (lit[0] == '-' || (lit[0] >= '0' && lit[0] <= '9')):
		if !json.Valid(lit) {
			return 0, errSlow
		}
	default:
		return 0, errSlow
	}
	return j, nil
}

func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errSlow
}
