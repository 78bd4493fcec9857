package worker

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "connectd.properties")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigDefaults(t *testing.T) {
	c, err := loadConfig(nil, env(), &bytes.Buffer{}, usage{name: "connectd"})
	if err != nil {
		t.Fatal(err)
	}
	want := config{Listen: "127.0.0.1:8082", DataDir: "connectd-data", LogFormat: "text", LogLevel: slog.LevelInfo, ShutdownTimeout: 30 * time.Second}
	if c != want {
		t.Errorf("defaults %+v, want %+v", c, want)
	}
}

func TestConfigPrecedence(t *testing.T) {
	file := writeFile(t, `
# comment
! also a comment
listen = 127.0.0.1:9000
data-dir: /from/file
worker-id=file-worker
log-format=json
log-level = debug
auth-token = file=token:with=signs
`)
	// File only.
	c, err := loadConfig([]string{"--config", file}, env(), &bytes.Buffer{}, usage{name: "connectd"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9000" || c.DataDir != "/from/file" || c.WorkerID != "file-worker" || c.LogFormat != "json" ||
		c.LogLevel != slog.LevelDebug || c.AuthToken != "file=token:with=signs" {
		t.Errorf("from file: %+v", c)
	}
	// The environment overrides the file (named by CONNECTD_CONFIG here),
	// flags override both.
	c, err = loadConfig([]string{"--data-dir", "/from/flag", "--shutdown-timeout=5s"},
		env("CONNECTD_CONFIG", file, "CONNECTD_DATA_DIR", "/from/env", "CONNECTD_LISTEN", "0.0.0.0:1", "CONNECTD_AUTH_TOKEN", "env-token"), &bytes.Buffer{}, usage{name: "connectd"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/from/flag" || c.Listen != "0.0.0.0:1" || c.AuthToken != "env-token" || c.WorkerID != "file-worker" || c.ShutdownTimeout != 5*time.Second {
		t.Errorf("precedence: %+v", c)
	}
	// The header format of a rolling upgrade.
	c, err = loadConfig(nil, env("CONNECTD_ROCKETMQ_HEADER_FORMAT", "per-property"), &bytes.Buffer{}, usage{name: "connectd"})
	if err != nil || !c.RocketMQPerHeader {
		t.Errorf("rocketmq-header-format=per-property: %+v, %v", c, err)
	}
	// An empty environment variable does not override.
	c, _ = loadConfig([]string{"--config", file}, env("CONNECTD_LISTEN", ""), &bytes.Buffer{}, usage{name: "connectd"})
	if c.Listen != "127.0.0.1:9000" {
		t.Errorf("empty env var: %+v", c)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		file string
		want string
	}{
		{"bad listen", []string{"--listen", "8082"}, nil, "", "listen (from flag --listen)"},
		{"bad format", nil, []string{"CONNECTD_LOG_FORMAT", "xml"}, "", "log-format (from $CONNECTD_LOG_FORMAT)"},
		{"bad level", []string{"--log-level", "loud"}, nil, "", "log-level"},
		{"bad timeout", []string{"--shutdown-timeout", "0s"}, nil, "", "must be positive"},
		{"empty data dir", []string{"--data-dir", " "}, nil, "", "data-dir"},
		{"unknown flag", []string{"--nope"}, nil, "", "flag provided but not defined"},
		{"extra args", []string{"run"}, nil, "", "unexpected arguments"},
		{"unknown key", nil, nil, "listen=127.0.0.1:1\nlisten-addr=x\n", ":2: unknown key \"listen-addr\""},
		{"repeated key", nil, nil, "listen=127.0.0.1:1\nlisten=127.0.0.1:2\n", "set twice"},
		{"no separator", nil, nil, "listen\n", ":1: want key=value"},
		{"bad value in file", nil, nil, "log-format=xml\n", "from config file"},
		{"bad header format", []string{"--rocketmq-header-format", "json"}, nil, "", "rocketmq-header-format (from flag --rocketmq-header-format): want packed or per-property"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				args = append(args, "--config", writeFile(t, tc.file))
			}
			_, err := loadConfig(args, env(tc.env...), &bytes.Buffer{}, usage{name: "connectd"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := loadConfig([]string{"--config", filepath.Join(t.TempDir(), "missing")}, env(), &bytes.Buffer{}, usage{name: "connectd"}); err == nil {
		t.Error("a missing config file is no error")
	}
}

func TestHelpAndUsage(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"-h"}, env(), &out, nil); code != 0 {
		t.Errorf("-h exit code %d", code)
	}
	for _, s := range settings {
		if !strings.Contains(out.String(), "-"+s.name) || !strings.Contains(out.String(), s.env) {
			t.Errorf("usage lacks %s / %s:\n%s", s.name, s.env, out.String())
		}
	}
	out.Reset()
	if code := run([]string{"--log-format", "xml"}, env(), &out, nil); code != 2 || !strings.Contains(out.String(), "log-format") {
		t.Errorf("bad flag: exit %d, %s", code, out.String())
	}
}

// An unreachable RocketMQ name server fails the start with an error naming
// it.
func TestRocketMQUnreachable(t *testing.T) {
	var out bytes.Buffer
	code := run([]string{"--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--rocketmq-namesrv", "127.0.0.1:1;127.0.0.1:2"}, env(), &out, nil)
	if code != 1 || !strings.Contains(out.String(), "127.0.0.1:1") || !strings.Contains(out.String(), "start failed") {
		t.Errorf("exit %d: %s", code, out.String())
	}
}

func TestSplitAddrs(t *testing.T) {
	if got := splitAddrs(" a:1; b:2,c:3;; "); strings.Join(got, "|") != "a:1|b:2|c:3" {
		t.Errorf("splitAddrs: %q", got)
	}
	if got := splitAddrs(""); got != nil {
		t.Errorf("empty: %q", got)
	}
}

func TestConfigAuthBasic(t *testing.T) {
	c, err := loadConfig(nil, env("CONNECTD_AUTH_BASIC", "admin:pa:ss"), &bytes.Buffer{}, usage{name: "connectd"})
	if err != nil || c.AuthBasicUser != "admin" || c.AuthBasicPass != "pa:ss" {
		t.Errorf("from env: %+v, %v", c, err)
	}
	c, err = loadConfig([]string{"--auth-basic", "u:"}, env("CONNECTD_AUTH_BASIC", "admin:x"), &bytes.Buffer{}, usage{name: "connectd"})
	if err != nil || c.AuthBasicUser != "u" || c.AuthBasicPass != "" {
		t.Errorf("flag over env: %+v, %v", c, err)
	}
	for _, v := range []string{"nocolon", ":pass"} {
		if _, err := loadConfig([]string{"--auth-basic", v}, env(), &bytes.Buffer{}, usage{name: "connectd"}); err == nil || !strings.Contains(err.Error(), "auth-basic") {
			t.Errorf("--auth-basic %q: %v, want an error naming it", v, err)
		}
	}
}
