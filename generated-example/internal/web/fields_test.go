package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// postedFields returns the fields of a form posted with the one field
// "f" set to value, or without it when value is nil.
func postedFields(t *testing.T, value *string) *fields {
	t.Helper()
	form := url.Values{}
	if value != nil {
		form.Set("f", *value)
	}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := req.ParseForm(); err != nil {
		t.Fatal(err)
	}
	return readFields(req)
}

// show formats what a field read, a pointer as its value or "nil".
func show(v any) string {
	switch v := v.(type) {
	case *string:
		if v != nil {
			return fmt.Sprintf("%q", *v)
		}
	case *int64:
		if v != nil {
			return fmt.Sprint(*v)
		}
	case *float64:
		if v != nil {
			return fmt.Sprint(*v)
		}
	case *time.Time:
		if v != nil {
			return v.Format(time.RFC3339)
		}
	case string:
		return fmt.Sprintf("%q", v)
	case time.Time:
		return v.Format(time.RFC3339)
	default:
		return fmt.Sprint(v)
	}
	return "nil"
}

func TestFields(t *testing.T) {
	str := func(s string) *string { return &s }
	read := map[string]func(f *fields) any{
		"String":         func(f *fields) any { return f.String("f", 5) },
		"OptionalString": func(f *fields) any { return f.OptionalString("f", 5) },
		"Text":           func(f *fields) any { return f.Text("f") },
		"OptionalText":   func(f *fields) any { return f.OptionalText("f") },
		"Int":            func(f *fields) any { return f.Int("f") },
		"OptionalInt":    func(f *fields) any { return f.OptionalInt("f") },
		"Float":          func(f *fields) any { return f.Float("f") },
		"OptionalFloat":  func(f *fields) any { return f.OptionalFloat("f") },
		"Bool":           func(f *fields) any { return f.Bool("f") },
		"Time":           func(f *fields) any { return f.Time("f") },
		"OptionalTime":   func(f *fields) any { return f.OptionalTime("f") },
	}
	tests := []struct {
		read  string
		value *string // nil: not posted
		want  string  // what show prints of the value read, when valid
		err   string  // the message, when not valid
	}{
		{"String", str("  milk "), `"milk"`, ""},
		{"String", str("héllo"), `"héllo"`, ""},
		{"String", str("   "), "", msgRequired},
		{"String", nil, "", msgRequired},
		{"String", str("sixsix"), "", "At most 5 characters."},
		{"String", str("a\tb"), "", msgHidden},
		{"String", str("a\u202eb"), "", msgHidden},
		{"String", str("a\x00b"), "", msgUnstored},
		{"String", str("a\xffb"), "", msgUnstored},
		{"OptionalString", str(""), "nil", ""},
		{"OptionalString", str("x"), `"x"`, ""},
		{"OptionalString", str("a\nb"), "", msgHidden},
		{"Text", str("line 1\r\nline 2\tend"), `"line 1\nline 2\tend"`, ""},
		{"Text", str(""), "", msgRequired},
		{"Text", str("a\x1b[31m"), "", msgHidden},
		{"Text", str("a\x00"), "", msgUnstored},
		{"OptionalText", nil, "nil", ""},
		{"Int", str(" 42 "), "42", ""},
		{"Int", str("-7"), "-7", ""},
		{"Int", str("abc"), "", msgInt},
		{"Int", str("4.5"), "", msgInt},
		{"Int", str("99999999999999999999"), "", msgTooLarge},
		{"Int", str(""), "", msgRequired},
		{"OptionalInt", str(""), "nil", ""},
		{"OptionalInt", str("0"), "0", ""},
		{"Float", str("2.5"), "2.5", ""},
		{"Float", str("1e3"), "1000", ""},
		{"Float", str("abc"), "", msgFloat},
		{"Float", str("NaN"), "", msgFloat},
		{"Float", str("Inf"), "", msgFloat},
		{"Float", str("1e999"), "", msgTooLarge},
		{"OptionalFloat", nil, "nil", ""},
		{"Bool", str("true"), "true", ""},
		{"Bool", str("on"), "true", ""},
		{"Bool", nil, "false", ""},
		{"Bool", str("maybe"), "", msgBool},
		{"Time", str("2025-03-04T05:06"), "2025-03-04T05:06:00Z", ""},
		{"Time", str("2025-03-04T05:06:07"), "2025-03-04T05:06:07Z", ""},
		{"Time", str("yesterday"), "", msgTime},
		{"Time", str(""), "", msgRequired},
		{"OptionalTime", str(""), "nil", ""},
	}
	for _, tt := range tests {
		name := tt.read + " nil"
		if tt.value != nil {
			name = fmt.Sprintf("%s %q", tt.read, *tt.value)
		}
		t.Run(name, func(t *testing.T) {
			f := postedFields(t, tt.value)
			got := read[tt.read](f)
			if tt.err != "" {
				if f.Valid() || f.Errors["f"] != tt.err {
					t.Errorf("got %s and errors %q, want the message %q", show(got), f.Errors, tt.err)
				}
			} else if !f.Valid() || show(got) != tt.want {
				t.Errorf("got %s and errors %q, want %s", show(got), f.Errors, tt.want)
			}
			if tt.value != nil && tt.read != "Bool" && f.Values["f"] != *tt.value {
				t.Errorf("the value as typed is %q, want %q", f.Values["f"], *tt.value)
			}
		})
	}
}

func TestFormValue(t *testing.T) {
	s, n, x := "tea", int64(-3), 0.1
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		v    any
		want string
	}{
		{"tea", "tea"},
		{&s, "tea"},
		{(*string)(nil), ""},
		{int64(42), "42"},
		{&n, "-3"},
		{(*int64)(nil), ""},
		{2.5, "2.5"},
		{&x, "0.1"},
		{(*float64)(nil), ""},
		{true, "true"},
		{false, ""},
		{at, "2025-03-04T04:06:07"},
		{&at, "2025-03-04T04:06:07"},
		{(*time.Time)(nil), ""},
	}
	for _, tt := range tests {
		if got := formValue(tt.v); got != tt.want {
			t.Errorf("formValue(%#v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

// TestFormValueReadsBack: what the form shows of a value is read back as
// that value.
func TestFormValueReadsBack(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, v := range []any{int64(-9223372036854775808), 0.1, 1e300, at, true, false} {
		shown := formValue(v)
		f := postedFields(t, &shown)
		var got any
		switch v.(type) {
		case int64:
			got = f.Int("f")
		case float64:
			got = f.Float("f")
		case time.Time:
			got = f.Time("f")
		case bool:
			got = f.Bool("f")
		}
		if got != v || !f.Valid() {
			t.Errorf("%#v is shown as %q and read back as %#v (errors %q)", v, shown, got, f.Errors)
		}
	}
}
