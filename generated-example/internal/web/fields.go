package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// fields reads a posted form field by field into typed values, for pages
// that keep records in the database. It keeps each value as it was typed,
// so that a form with mistakes can be shown again as the visitor left it,
// and a message for each field that is not valid, to show beside it.
type fields struct {
	// Values are the fields' values as typed, by name.
	Values map[string]string
	// Errors are the messages for the fields that are not valid, by name.
	Errors map[string]string
	req    *http.Request
}

// readFields returns the fields of r's posted form, which parseForm has
// read.
func readFields(r *http.Request) *fields {
	return &fields{Values: make(map[string]string), Errors: make(map[string]string), req: r}
}

// Valid reports whether every field read so far is valid.
func (f *fields) Valid() bool { return len(f.Errors) == 0 }

// Messages for the fields that are not valid.
const (
	msgRequired = "This is required."
	msgHidden   = "Use plain text: no control or text-direction characters."
	msgUnstored = "This has characters that cannot be stored."
	msgInt      = "Enter a whole number, such as 42."
	msgFloat    = "Enter a number, such as 2.5."
	msgTooLarge = "That number is too large."
	msgBool     = "Tick the box, or leave it empty."
	msgTime     = "Enter a date and time."
)

// read returns the field's value with surrounding spaces trimmed, and
// keeps it as typed.
func (f *fields) read(name string) string {
	v := f.req.PostFormValue(name)
	f.Values[name] = v
	return strings.TrimSpace(v)
}

// fail records msg for the field, unless it already has one.
func (f *fields) fail(name, msg string) {
	if _, ok := f.Errors[name]; !ok {
		f.Errors[name] = msg
	}
}

// String returns a required line of text of at most max characters.
func (f *fields) String(name string, max int) string {
	v := f.OptionalString(name, max)
	if v == nil {
		f.fail(name, msgRequired)
		return ""
	}
	return *v
}

// OptionalString returns a line of text of at most max characters, or
// nil when the field is empty.
func (f *fields) OptionalString(name string, max int) *string {
	v := f.read(name)
	if v == "" {
		return nil
	}
	switch {
	case !storable(v):
		f.fail(name, msgUnstored)
	case strings.ContainsFunc(v, isHidden):
		f.fail(name, msgHidden)
	case utf8.RuneCountInString(v) > max:
		f.fail(name, "At most "+strconv.Itoa(max)+" characters.")
	}
	return &v
}

// Text returns required text of any length, lines and tabs included.
func (f *fields) Text(name string) string {
	v := f.OptionalText(name)
	if v == nil {
		f.fail(name, msgRequired)
		return ""
	}
	return *v
}

// OptionalText returns text of any length, lines and tabs included, or
// nil when the field is empty. Line breaks are kept as "\n" alone.
func (f *fields) OptionalText(name string) *string {
	v := strings.ReplaceAll(f.read(name), "\r\n", "\n")
	if v == "" {
		return nil
	}
	switch {
	case !storable(v):
		f.fail(name, msgUnstored)
	case strings.ContainsFunc(v, func(r rune) bool { return r != '\n' && r != '\t' && isHidden(r) }):
		f.fail(name, msgHidden)
	}
	return &v
}

// Int returns a required whole number.
func (f *fields) Int(name string) int64 {
	v := f.OptionalInt(name)
	if v == nil {
		f.fail(name, msgRequired)
		return 0
	}
	return *v
}

// OptionalInt returns a whole number, or nil when the field is empty.
func (f *fields) OptionalInt(name string) *int64 {
	v := f.read(name)
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		f.fail(name, msgTooLarge)
	case err != nil:
		f.fail(name, msgInt)
	}
	return &n
}

// Float returns a required number.
func (f *fields) Float(name string) float64 {
	v := f.OptionalFloat(name)
	if v == nil {
		f.fail(name, msgRequired)
		return 0
	}
	return *v
}

// OptionalFloat returns a number, or nil when the field is empty. NaN and
// the infinities are refused: they are no one's price or weight, and JSON,
// which the memoized queries are stored in, has no way to write them.
func (f *fields) OptionalFloat(name string) *float64 {
	v := f.read(name)
	if v == "" {
		return nil
	}
	x, err := strconv.ParseFloat(v, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		f.fail(name, msgTooLarge)
	case err != nil || math.IsNaN(x) || math.IsInf(x, 0):
		f.fail(name, msgFloat)
	}
	return &x
}

// Bool returns whether a checkbox was ticked: browsers send a ticked box
// with its value ("true") and leave an unticked one out.
func (f *fields) Bool(name string) bool {
	switch f.read(name) {
	case "":
		return false
	case "true", "on":
		f.Values[name] = "true"
		return true
	}
	f.fail(name, msgBool)
	return false
}

// timeLayouts are what a datetime-local input sends: minutes, or seconds
// when its step asks for them.
var timeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

// Time returns a required date and time. A datetime-local input sends no
// time zone: the app reads and shows times in UTC.
func (f *fields) Time(name string) time.Time {
	v := f.OptionalTime(name)
	if v == nil {
		f.fail(name, msgRequired)
		return time.Time{}
	}
	return *v
}

// OptionalTime returns a date and time in UTC, or nil when the field is
// empty.
func (f *fields) OptionalTime(name string) *time.Time {
	v := f.read(name)
	if v == "" {
		return nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return &t
		}
	}
	f.fail(name, msgTime)
	return &time.Time{}
}

// formValue is how a form shows a stored value: text as it is, numbers as
// Go writes them, times as a datetime-local input takes them (in UTC, to
// the second), true as "true" (a ticked box), and false or no value at all
// as "".
func formValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		if v {
			return "true"
		}
		return ""
	case time.Time:
		return v.UTC().Format("2006-01-02T15:04:05")
	case *string:
		if v != nil {
			return *v
		}
	case *int64:
		if v != nil {
			return formValue(*v)
		}
	case *float64:
		if v != nil {
			return formValue(*v)
		}
	case *time.Time:
		if v != nil {
			return formValue(*v)
		}
	}
	return ""
}

// storable reports whether PostgreSQL's text can hold s: valid UTF-8
// without NUL characters. Neither is any visitor's fault worth a 500.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
