package cache

import (
	"bytes"
	"encoding"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
)

// appendArgKey appends an encoding of v that is equal for equal arguments
// and different for different ones: every string and collection is length
// prefixed, map entries are sorted, struct fields (exported or not) are
// taken in order, pointers are followed, interfaces record the dynamic
// type, values with MarshalBinary (such as time.Time) use it, and -0.0
// encodes like 0.0. A nil slice or map encodes like an empty one.
// Functions, channels and unsafe pointers have no such encoding: they are
// an error.
func appendArgKey(b []byte, v reflect.Value) ([]byte, error) {
	if !v.IsValid() {
		return append(b, 'n'), nil
	}
	if v.CanInterface() {
		if m, ok := v.Interface().(encoding.BinaryMarshaler); ok && (v.Kind() != reflect.Pointer || !v.IsNil()) {
			data, err := m.MarshalBinary()
			if err != nil {
				return nil, err
			}
			return appendBytes(append(b, 'm'), data), nil
		}
	}
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return append(b, 't'), nil
		}
		return append(b, 'f'), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return append(strconv.AppendInt(append(b, 'i'), v.Int(), 10), ';'), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return append(strconv.AppendUint(append(b, 'u'), v.Uint(), 10), ';'), nil
	case reflect.Float32, reflect.Float64:
		return appendFloat(append(b, 'd'), v.Float()), nil
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		return appendFloat(appendFloat(append(b, 'c'), real(c)), imag(c)), nil
	case reflect.String:
		return appendBytes(append(b, 's'), []byte(v.String())), nil
	case reflect.Slice, reflect.Array:
		b = strconv.AppendInt(append(b, 'l'), int64(v.Len()), 10)
		b = append(b, ':')
		var err error
		for i := 0; i < v.Len() && err == nil; i++ {
			b, err = appendArgKey(b, v.Index(i))
		}
		return b, err
	case reflect.Map:
		entries := make([][]byte, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			e, err := appendArgKey(nil, it.Key())
			if err == nil {
				e, err = appendArgKey(e, it.Value())
			}
			if err != nil {
				return nil, err
			}
			entries = append(entries, e)
		}
		// Keys are distinct and every encoding is self-delimiting, so
		// sorting the key+value encodings sorts by key.
		slices.SortFunc(entries, bytes.Compare)
		b = strconv.AppendInt(append(b, 'M'), int64(len(entries)), 10)
		b = append(b, ':')
		for _, e := range entries {
			b = append(b, e...)
		}
		return b, nil
	case reflect.Struct:
		b = append(b, '{')
		var err error
		for i := 0; i < v.NumField() && err == nil; i++ {
			b, err = appendArgKey(b, v.Field(i))
		}
		return append(b, '}'), err
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, 'n'), nil
		}
		return appendArgKey(append(b, 'p'), v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			return append(b, 'n'), nil
		}
		e := v.Elem()
		b = appendBytes(append(b, 'I'), []byte(e.Type().String()))
		return appendArgKey(b, e)
	}
	return nil, fmt.Errorf("cache: cannot use a %s as a memoized argument", v.Type())
}

func appendBytes(b, s []byte) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

func appendFloat(b []byte, f float64) []byte {
	if f == 0 {
		f = 0 // -0.0 == 0.0, so they are one argument
	}
	if math.IsNaN(f) {
		return append(b, "NaN;"...)
	}
	return append(strconv.AppendFloat(b, f, 'g', -1, 64), ';')
}
