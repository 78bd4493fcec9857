// Package mysqlsink is a sink connector for MySQL and MariaDB.
package mysqlsink
