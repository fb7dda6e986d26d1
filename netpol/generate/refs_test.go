package generate

import (
	"fmt"
	"reflect"
	"testing"
)

func TestMentions(t *testing.T) {
	for in, want := range map[string][]string{
		"db":                                     {"db:0"},
		"db:5432":                                {"db:5432"},
		"postgres://shop:secret@db.shop-db/shop": {"db.shop-db:5432"},
		"http://api.shop-api.svc.cluster.local:8080/v1": {"api.shop-api.svc.cluster.local:8080"},
		"--host=db": {"db:0"},
		"server {\n  listen 80;\n  proxy_pass http://api:8080/;\n}": {"api:8080"},
		"redis-0.redis.cache.svc.cluster.local:6379,redis-1.redis.cache.svc.cluster.local:6379": {
			"redis-0.redis.cache.svc.cluster.local:6379", "redis-1.redis.cache.svc.cluster.local:6379"},
		"https://[2001:db8::1]:8443/x": {"2001:db8::1:8443"},
		"10.0.0.5":                     nil,
		"10.0.0.5:9000":                {"10.0.0.5:9000"},
		"log level info":               nil,
		"/var/run/secrets/x":           nil,
		"$(DB_HOST)":                   nil,
	} {
		var got []string
		for _, m := range mentions(text{s: in}) {
			got = append(got, fmt.Sprintf("%s:%d", m.host, m.port))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("mentions(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestServiceCandidates(t *testing.T) {
	for host, want := range map[string][][2]string{
		"db":                             {{"app", "db"}},
		"db.data":                        {{"data", "db"}, {"app", "data"}},
		"db.data.svc":                    {{"data", "db"}},
		"db.data.svc.cluster.local":      {{"data", "db"}},
		"db-0.db.data.svc.cluster.local": {{"data", "db"}},
		"api.example.com":                nil,
	} {
		if got := serviceCandidates(host, "app"); !reflect.DeepEqual(got, want) {
			t.Errorf("serviceCandidates(%q) = %v, want %v", host, got, want)
		}
	}
}
