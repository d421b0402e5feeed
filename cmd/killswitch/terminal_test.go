package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// hostileText hides an operator's view of the terminal: it erases the
// line, moves up and erases another, sets the window title, rings the
// bell, reverses the text that follows and starts a line of its own.
const hostileText = "Bad thing\x1b[2K\r\x1b[1A\x1b[2Kall clear" +
	"\x1b]0;pwned\x07\u202egnp.exe\u0085\u009b31m\nSECOND LINE"

// assertTerminalSafe fails when out holds a byte or character a
// terminal acts on rather than shows: a control character other than
// newline and tab, a Unicode format character, or bytes that are not
// UTF-8.
func assertTerminalSafe(t *testing.T, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("output is not UTF-8:\n%q", out)
	}
	for i, r := range out {
		if r != '\n' && r != '\t' && !unicode.IsGraphic(r) {
			t.Errorf("output holds %U at %d:\n%q", r, i, out)
			return
		}
	}
}

// TestHostileAlertTextIsShownNotObeyed: an alert's text reaches the
// reasons policies write (the shipped ones quote the detector's
// title); policy eval printed it raw, so an alert could erase lines of
// the operator's terminal, retitle it or reverse what followed.
func TestHostileAlertTextIsShownNotObeyed(t *testing.T) {
	src := readTestFile(t, "../../testdata/alerts/02-ocsf-detection-finding-frank.json")
	alert := strings.Replace(src,
		`"title": "Likely account takeover of frank@example.com"`,
		`"title": "`+jsonEscape(hostileText)+`"`, 1)
	if alert == src {
		t.Fatal("the sample alert has no title to replace")
	}
	path := filepath.Join(t.TempDir(), "alert.json")
	if err := os.WriteFile(path, []byte(alert), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := ks(t, "policy", "eval", "--signal", path,
		"--inventory", "../../testdata/inventory.yaml")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	assertTerminalSafe(t, out)
	if !strings.Contains(out, `Bad thing\u001b[2K\r\u001b[1A`) {
		t.Errorf("the reason is not shown escaped:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "SECOND LINE") {
			t.Errorf("the alert's text started a line of its own:\n%s", out)
		}
	}
}

// TestATableRowIsOneLine: a reason with a newline in it split its row
// of sessions list in two, the second line reading as a row of its own.
func TestATableRowIsOneLine(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ks.db")
	if out, code := ks(t, "--store", db, "import",
		"../../testdata/inventory.yaml"); code != 0 {
		t.Fatalf("import: exit %d: %s", code, out)
	}
	reason := "INC-1\x1b[31m\nfrank-okta-web  frank  okta  browser  active"
	if out, code := ks(t, "--store", db, "revoke", "--principal", "frank",
		"--reason", reason); code != 0 {
		t.Fatalf("revoke: exit %d: %s", code, out)
	}
	out, code := ks(t, "--store", db, "sessions", "list", "--principal",
		"frank")
	if code != 0 {
		t.Fatalf("sessions list: exit %d: %s", code, out)
	}
	assertTerminalSafe(t, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Errorf("%d lines, want a header and frank's 2 sessions:\n%s",
			len(lines), out)
	}
	for _, l := range lines[1:] {
		if !strings.Contains(l, `INC-1\u001b[31m\nfrank-okta-web`) {
			t.Errorf("row %q does not show the reason escaped", l)
		}
	}
}

// TestSafeWriterKeepsARuneSplitAcrossWrites: a character written in two
// pieces is shown whole, and one a terminal obeys is escaped even so.
func TestSafeWriterKeepsARuneSplitAcrossWrites(t *testing.T) {
	var buf bytes.Buffer
	w := newSafeWriter(&buf)
	for _, s := range []string{"é"[:1], "é"[1:], "\u202e"[:2],
		"\u202e"[2:], " \xff\tok\n"} {
		if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if want := `é\u202e \xff` + "\tok\n"; buf.String() != want {
		t.Errorf("wrote %q, want %q", buf.String(), want)
	}
}

func readTestFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jsonEscape writes s as the inside of a JSON string.
func jsonEscape(s string) string {
	b, err := jsonMarshal(s)
	if err != nil {
		panic(err)
	}
	return string(b[1 : len(b)-1])
}
