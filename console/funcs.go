package console

import "html/template"

// funcs are the template helpers.
var funcs = template.FuncMap{
	// errorFor returns the validation message of a field, or "".
	"errorFor": func(errs map[string]string, key string) string { return errs[key] },
	// ruleKey builds the key of a service order problem.
	"ruleKey": func(rule, field string) string { return rule + "|" + field },
}
