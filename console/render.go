package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/killswitch-dev/killswitch/store"
)

// pages are the parsed templates, one per page, each with the layout
// and the shared parts (the files whose names start with "_").
type pages struct {
	byName map[string]*template.Template
}

func parsePages() (*pages, error) {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(assets,
			"templates/_*.html", n)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// view is what the layout renders around a page.
type view struct {
	Title string
	// Who is the signed-in caller; nil on the sign-in page.
	Who   Caller
	Path  string
	Flash string
	Now   time.Time
	Data  any
}

// Can reports whether the caller holds role: pages show an action only
// to those who may take it (the handler checks again).
func (v view) Can(role string) bool { return v.Who != nil && v.Who.Can(role) }

// Current reports whether the page is in the nav section at prefix.
func (v view) Current(prefix string) bool {
	if prefix == "/" {
		return v.Path == "/"
	}
	return strings.HasPrefix(v.Path, prefix)
}

// render writes page with status; a template error is a 500 with the
// error logged, never half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, who Caller,
	status int, page, title string, data any) {
	t, ok := c.pages.byName[page]
	if !ok {
		c.log.Error("no such page template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v := view{Title: title, Who: who, Path: r.URL.Path, Now: c.cfg.Clock(),
		Data: data}
	if who != nil {
		if ck, err := r.Cookie(cookieName); err == nil {
			v.Flash = c.logins.popFlash(ck.Value)
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.Error("render page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(shown(buf.Bytes()))
}

// shown makes visible what a browser would otherwise obey or hide in a
// page. html/template escapes markup, but alerts, policies and providers
// put other text into pages (a detector's title in a reason, a user
// agent, a device name): a bidirectional override reverses what follows
// it ("gpj.exe"), a zero-width character makes two names look alike, a
// control character hides in a copied id. Every character that is not
// graphic, except newline, carriage return and tab, is written as the
// text of its \u escape (U+202E as \u202e), and a byte that is not UTF-8
// as a \x escape (0xff as \xff), as the CLI does.
// The templates themselves hold no such character, so the whole page
// can be passed through.
func shown(page []byte) []byte {
	clean := true
	for _, r := range string(page) {
		if !visible(r) {
			clean = false
			break
		}
	}
	if clean {
		return page
	}
	out := make([]byte, 0, len(page)+64)
	for i := 0; i < len(page); {
		r, size := utf8.DecodeRune(page[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = fmt.Appendf(out, `\x%02x`, page[i])
		case visible(r):
			out = append(out, page[i:i+size]...)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	return out
}

func visible(r rune) bool {
	return r == '\n' || r == '\r' || r == '\t' ||
		(r != utf8.RuneError && unicode.IsGraphic(r))
}

// fail shows msg on an error page with status.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, who Caller,
	status int, msg string) {
	c.render(w, r, who, status, "error", http.StatusText(status), msg)
}

// failErr shows a failed read or change; the error is logged.
func (c *Console) failErr(w http.ResponseWriter, r *http.Request,
	who Caller, op string, err error) {
	c.log.Error(op, "err", err, "path", r.URL.Path)
	c.fail(w, r, who, http.StatusInternalServerError, op+": "+err.Error())
}

// redirect ends a change: msg is shown once on the page at to.
func (c *Console) redirect(w http.ResponseWriter, r *http.Request, to,
	msg string) {
	if ck, err := r.Cookie(cookieName); err == nil && msg != "" {
		c.logins.setFlash(ck.Value, msg)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request, who Caller) {
	c.fail(w, r, who, http.StatusNotFound, "There is no page at "+
		r.URL.Path+".")
}

var funcs = template.FuncMap{
	"when":        when,
	"ago":         ago,
	"join":        strings.Join,
	"json":        compactJSON,
	"short":       short,
	"dict":        dict,
	"originLines": originLines,
}

// originLines are the parts of an origin that are known, one a line:
// the address with its country, the device, host, app and user agent.
func originLines(o store.Origin) []string {
	var out []string
	if o.IP != "" {
		ip := o.IP
		if o.Country != "" {
			ip += " (" + o.Country + ")"
		}
		out = append(out, ip)
	} else if o.Country != "" {
		out = append(out, o.Country)
	}
	for _, v := range []string{o.Device, o.Host, o.App, short(60, o.UserAgent)} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// dict makes a map of its key and value pairs, to hand a shared
// template more than one value.
func dict(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		m[k] = kv[i+1]
	}
	return m
}

// when is t in UTC to the second, or "—" for the zero time.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// ago says how long before now t was, coarsely: "3d 4h", "12m".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := now.Sub(t)
	suffix := " ago"
	if d < 0 {
		d, suffix = -d, " from now"
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds%s", int(d.Seconds()), suffix)
	case d < time.Hour:
		return fmt.Sprintf("%dm%s", int(d.Minutes()), suffix)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %dm%s", int(d.Hours()),
			int(d.Minutes())%60, suffix)
	}
	return fmt.Sprintf("%dd %dh%s", int(d.Hours())/24, int(d.Hours())%24,
		suffix)
}

// compactJSON is raw JSON on one line, for audit details.
func compactJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	return buf.String()
}

// short is s cut to n runes with an ellipsis.
func short(n int, s string) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// mustJSON encodes audit details built from plain values.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("console: audit details do not encode: " + err.Error())
	}
	return b
}
