package console

import (
	"html/template"
	"time"
)

// funcs are the template helpers.
var funcs = template.FuncMap{
	// errorFor returns the validation message of a field, or "".
	"errorFor": func(errs map[string]string, key string) string { return errs[key] },
	// ruleKey builds the key of a service order problem.
	"ruleKey": func(rule, field string) string { return rule + "|" + field },
	// when is a time as the console shows it, in UTC to the second.
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	// iso is a time as a <time datetime> attribute.
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}
