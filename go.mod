module github.com/mspkit/kaspersky-tigerpaw

go 1.24

require (
	github.com/google/go-cmp v0.7.0
	golang.org/x/time v0.12.0
)
