package exposure

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Protocol is what a port is known to carry, from its number, name or appProtocol.
type Protocol struct {
	Name string // "HTTP", "PostgreSQL"
	// Plaintext: the protocol sends everything in clear text unless the server is configured
	// otherwise (databases that offer TLS but do not require it count).
	Plaintext bool
}

// wellKnown maps TCP ports to the protocol conventionally served there. Only ports whose
// protocol is unambiguous enough to name in a finding are listed.
var wellKnown = map[int32]Protocol{
	21:    {"FTP", true},
	23:    {"Telnet", true},
	25:    {"SMTP", true},
	53:    {"DNS", true},
	80:    {"HTTP", true},
	110:   {"POP3", true},
	143:   {"IMAP", true},
	389:   {"LDAP", true},
	443:   {"HTTPS", false},
	465:   {"SMTPS", false},
	512:   {"rexec", true},
	513:   {"rlogin", true},
	514:   {"rsh", true},
	636:   {"LDAPS", false},
	873:   {"rsync", true},
	993:   {"IMAPS", false},
	995:   {"POP3S", false},
	1433:  {"SQL Server", true},
	1883:  {"MQTT", true},
	2375:  {"Docker API", true},
	2379:  {"etcd", false},
	3000:  {"HTTP", true},
	3306:  {"MySQL", true},
	5432:  {"PostgreSQL", true},
	5601:  {"Kibana HTTP", true},
	5672:  {"AMQP", true},
	5900:  {"VNC", true},
	5984:  {"CouchDB HTTP", true},
	6379:  {"Redis", true},
	6443:  {"Kubernetes API", false},
	8080:  {"HTTP", true},
	8086:  {"InfluxDB HTTP", true},
	8443:  {"HTTPS", false},
	9042:  {"Cassandra CQL", true},
	9092:  {"Kafka", true},
	9200:  {"Elasticsearch HTTP", true},
	9300:  {"Elasticsearch transport", true},
	10250: {"kubelet API", false},
	11211: {"Memcached", true},
	15672: {"RabbitMQ management HTTP", true},
	27017: {"MongoDB", true},
}

// PortProtocol names what a Service port carries. The port's appProtocol and name (Istio's
// "http-web"/"https-web" convention) speak first, then the well-known number of the port or
// of its target. ok is false when nothing identifies the protocol.
func PortProtocol(p corev1.ServicePort) (Protocol, bool) {
	if p.Protocol == corev1.ProtocolUDP || p.Protocol == corev1.ProtocolSCTP {
		if p.Port == 53 {
			return Protocol{"DNS", true}, true
		}
		return Protocol{}, false
	}
	for _, hint := range []string{deref(p.AppProtocol), p.Name} {
		if pr, ok := byName(hint); ok {
			return pr, true
		}
	}
	if pr, ok := wellKnown[p.Port]; ok {
		return pr, true
	}
	if p.TargetPort.IntVal != 0 {
		if pr, ok := wellKnown[p.TargetPort.IntVal]; ok {
			return pr, true
		}
	}
	return Protocol{}, false
}

// byName reads a protocol from an appProtocol or port name: "https", "http-metrics",
// "kubernetes.io/h2c", "grpc-web", "tls".
func byName(s string) (Protocol, bool) {
	s = strings.ToLower(s)
	if s == "" {
		return Protocol{}, false
	}
	switch s {
	case "kubernetes.io/h2c":
		return Protocol{"HTTP/2 cleartext", true}, true
	case "kubernetes.io/ws":
		return Protocol{"WebSocket", true}, true
	case "kubernetes.io/wss":
		return Protocol{"WebSocket over TLS", false}, true
	}
	prefix, _, _ := strings.Cut(s, "-")
	switch prefix {
	case "https", "tls", "grpcs", "wss", "ssl":
		return Protocol{strings.ToUpper(prefix), false}, true
	case "http", "http2", "grpc", "ws", "h2c":
		return Protocol{strings.ToUpper(prefix), true}, true
	}
	return Protocol{}, false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
