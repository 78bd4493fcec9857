// Package check holds validators of config values shared by the built-in
// connectors (connect.Field.Validate functions): each returns an error
// saying what the value must be.
package check
