package mysqlsource

import (
	"strings"
	"testing"
)

func TestMaskCredentials(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"CREATE USER 'bob'@'%' IDENTIFIED BY 'S3cret!'", "CREATE USER 'bob'@'%' IDENTIFIED BY '[hidden]'"},
		{"create user bob identified by \"S3cret\"", "create user bob identified by '[hidden]'"},
		{`ALTER USER 'bob'@'localhost' IDENTIFIED BY 'it''s \' a secret'`, `ALTER USER 'bob'@'localhost' IDENTIFIED BY '[hidden]'`},
		{`ALTER USER bob IDENTIFIED BY "a \" b" PASSWORD EXPIRE`, `ALTER USER bob IDENTIFIED BY '[hidden]' PASSWORD EXPIRE`},
		{"ALTER USER bob IDENTIFIED VIA ed25519 USING PASSWORD('secret')", "ALTER USER bob IDENTIFIED VIA ed25519 USING PASSWORD('[hidden]')"},
		{"CREATE USER bob IDENTIFIED VIA mysql_native_password USING '*94BDCEBE19083CE2A1F959FD02F964C7AF4CFC29' OR unix_socket", "CREATE USER bob IDENTIFIED VIA mysql_native_password USING '[hidden]' OR unix_socket"},
		{"CREATE USER bob IDENTIFIED BY PASSWORD '*94BDCEBE19083CE2A1F959FD02F964C7AF4CFC29'", "CREATE USER bob IDENTIFIED BY PASSWORD '[hidden]'"},
		{"SET PASSWORD FOR 'bob'@'%' = PASSWORD('secret')", "SET PASSWORD FOR 'bob'@'%' = PASSWORD('[hidden]')"},
		{"SET PASSWORD FOR 'bob'@'%' = 'secret'", "SET PASSWORD FOR 'bob'@'%' = '[hidden]'"},
		{"set password = old_password( 'secret' )", "set password = old_password( '[hidden]' )"},
		{"GRANT SELECT ON db.* TO 'bob'@'%' IDENTIFIED BY 'secret' WITH GRANT OPTION", "GRANT SELECT ON db.* TO 'bob'@'%' IDENTIFIED BY '[hidden]' WITH GRANT OPTION"},
		{"CREATE USER a IDENTIFIED BY 'x1', b IDENTIFIED BY 'x2'", "CREATE USER a IDENTIFIED BY '[hidden]', b IDENTIFIED BY '[hidden]'"},
		{"ALTER USER bob IDENTIFIED WITH caching_sha2_password BY 'new' REPLACE 'old'", "ALTER USER bob IDENTIFIED WITH caching_sha2_password BY '[hidden]' REPLACE '[hidden]'"},
		{"CREATE USER bob IDENTIFIED BY 'unterminated", "CREATE USER bob IDENTIFIED BY '[hidden]'"},
		// No credentials: unchanged.
		{"CREATE USER 'password'@'%'", "CREATE USER 'password'@'%'"},
		{"INSERT INTO t (id, v) VALUES (1, 'IDENTIFIED BY')", "INSERT INTO t (id, v) VALUES (1, 'IDENTIFIED BY')"},
		{"SELECT * FROM t ORDER BY 'x'", "SELECT * FROM t ORDER BY 'x'"},
		{"ALTER TABLE t ADD COLUMN `password` INT", "ALTER TABLE t ADD COLUMN `password` INT"},
	} {
		got := maskCredentials(tc.in)
		if got != tc.want {
			t.Errorf("maskCredentials(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "secret") {
			t.Errorf("maskCredentials(%q) = %q still holds the secret", tc.in, got)
		}
	}
}

func TestLatin1Holes(t *testing.T) {
	got := decodeText("A\x80\x81\x8d\x8f\x90\x9d\xe9\xffB", charsetEncoding("latin1"))
	if want := "A€\u0081\u008d\u008f\u0090\u009déÿB"; got != want {
		t.Errorf("latin1 decodes to %q, want %q", got, want)
	}
	long := strings.Repeat("\x81\xe9", 5000) // more than a transform buffer
	if got := decodeText(long, charsetEncoding("latin1")); got != strings.Repeat("\u0081é", 5000) {
		t.Errorf("long latin1 text decodes wrongly (%d bytes)", len(got))
	}
}
