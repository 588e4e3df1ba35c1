module github.com/mspkit/kaspersky-tigerpaw

go 1.25

require (
	github.com/google/go-cmp v0.7.0
	golang.org/x/time v0.12.0
)

require (
	github.com/chromedp/cdproto v0.160.1 // indirect
	github.com/chromedp/chromedp v0.23.1 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
)
