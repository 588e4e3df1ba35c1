module github.com/mspkit/kaspersky-tigerpaw

go 1.24

require (
	github.com/google/go-cmp v0.7.0
	github.com/stretchr/testify v1.11.1
	golang.org/x/time v0.12.0
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
