// Package atomicfile replaces files so that a crash at any moment leaves
// either the old content or the new one, never a mix.
package atomicfile
