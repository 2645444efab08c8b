# md2man.awk: the manual pages' source (a small Markdown) to man(7) troff.
#
#   awk -v version=0.2.0 -v date=2026-11-24 -f md2man.awk page.N.md > page.N
#
# The Markdown understood, and nothing more (anything else is a paragraph):
#   # name(N)                 first line: the page's name and section
#   ## HEADING                .SH (a page has ## NAME, written "a, b -- what")
#   ### Heading               .SS
#   text lines                a paragraph; a blank line ends it
#   ```  ...  ```             a literal block (no inline markup)
#   - item                    a bullet; lines indented under it continue it
#   `term`                    a term (one line, starting with a backquote)...
#   : description             ...then its description: .TP
#   <!-- comment -->          dropped (one line)
# Inline: `code` bold, with - as a minus sign (an option copies right);
# *word* italic; **word** bold; [text](link) is text; \X is X itself.

function esc(s) {
	gsub(/\\/, "\\e", s)
	return s
}

# A line of troff text: no control character at its start.
function line(s) {
	if (s ~ /^[.']/)
		s = "\\&" s
	print s
}

function code(s) {
	s = esc(s)
	gsub(/-/, "\\-", s)
	return "\\fB" s "\\fR"
}

# Inline markup of one line of text.
function inline(s,    out, c, n, rest, end, t) {
	out = ""
	while (length(s) > 0) {
		c = substr(s, 1, 1)
		if (c == "\\" && length(s) > 1) {
			out = out esc(substr(s, 2, 1))
			s = substr(s, 3)
		} else if (c == "`" && (end = index(substr(s, 2), "`")) > 0) {
			out = out code(substr(s, 2, end - 1))
			s = substr(s, end + 2)
		} else if (substr(s, 1, 2) == "**" && (end = index(substr(s, 3), "**")) > 1) {
			out = out "\\fB" esc(substr(s, 3, end - 1)) "\\fR"
			s = substr(s, end + 4)
		} else if (c == "*" && substr(s, 2, 1) !~ /[ *]/ &&
			   (end = index(substr(s, 2), "*")) > 1) {
			out = out "\\fI" esc(substr(s, 2, end - 1)) "\\fR"
			s = substr(s, end + 2)
		} else if (c == "[" && match(s, /^\[[^]]*\]\([^)]*\)/)) {
			t = substr(s, 2, RLENGTH)
			t = substr(t, 1, index(t, "]") - 1)
			rest = substr(s, RLENGTH + 1)
			out = out inline(t)
			s = rest
		} else {
			out = out esc(c)
			s = substr(s, 2)
		}
	}
	return out
}

function fail(i, msg) {
	printf("%s:%d: %s\n", FILENAME, i, msg) > "/dev/stderr"
	failed = 1
	exit 1
}

# Close whatever block is open before another starts.
function close_block() {
	if (in_list)
		print ".RE"
	in_list = 0
	para = 0
	item = 0
}

{ src[++n] = $0 }

function heading_line(i,    s) {
	s = src[i]
	if (!match(s, /^# [^ (]+\([0-9][a-z]*\)$/))
		fail(i, "the first line must be '# name(section)'")
	name = substr(s, 3, index(s, "(") - 3)
	sect = substr(s, index(s, "(") + 1)
	sect = substr(sect, 1, length(sect) - 1)
	titles["1"] = "ksync tools"
	titles["3"] = "ksync library functions"
	titles["7"] = "ksync overview"
	printf(".\\\" Generated from %s.%s.md by md2man.awk: edit that, not this.\n", name, sect)
	printf(".TH \"%s\" \"%s\" \"%s\" \"ksync %s\" \"%s\"\n", toupper(name), sect, date,
	       version, titles[sect])
}

function esc_name(s) {
	gsub(/\\/, "\\e", s)
	gsub(/\\e-/, "\\-", s)
	return s
}

function strip(s) {
	sub(/^[ \t]+/, "", s)
	return s
}

END {
	if (failed)
		exit 1
	heading_line(1)
	for (i = 2; i <= n; i++) {
		s = src[i]
		if (in_code) {
			if (s ~ /^```/) {
				print ".fi"
				print ".RE"
				in_code = 0
			} else {
				s = esc(s)
				gsub(/-/, "\\-", s)
				line(s)
			}
			continue
		}
		if (s ~ /^<!--.*-->[ \t]*$/)
			continue
		if (s ~ /^```/) {
			close_block()
			print ".PP"
			print ".RS 4"
			print ".nf"
			in_code = 1
			continue
		}
		if (s ~ /^## /) {
			close_block()
			heading = toupper(substr(s, 4))
			if (heading in seen)
				fail(i, "a second ## " heading)
			seen[heading] = 1
			printf(".SH \"%s\"\n", heading)
			continue
		}
		if (s ~ /^### /) {
			close_block()
			printf(".SS \"%s\"\n", esc(substr(s, 5)))
			continue
		}
		if (s ~ /^[ \t]*$/) {
			para = 0
			if (!in_list)
				item = 0
			continue
		}
		if (heading == "NAME") {
			if (!sub(/ -- /, " \\- ", s))
				fail(i, "NAME must read 'name, name -- what it is'")
			line(esc_name(s))
			continue
		}
		if (s ~ /^- /) {
			if (!in_list) {
				close_block()
				in_list = 1
				print ".RS 2"
			}
			print ".IP \\(bu 2"
			line(inline(substr(s, 3)))
			item = 1
			continue
		}
		# A term: a line that starts with a code span, followed by ": what".
		if (s ~ /^`/ && src[i + 1] ~ /^: /) {
			close_block()
			print ".TP"
			line(inline(s))
			line(inline(substr(src[++i], 3)))
			item = 1
			continue
		}
		if (s ~ /^: /)
			fail(i, "a ': description' without its `term` line above it")
		if (s ~ /^[ \t]+[^ \t]/ && (item || in_list)) {
			line(inline(strip(s)))
			continue
		}
		if (in_list)
			close_block()
		if (!para && !item) {
			print ".PP"
			para = 1
		}
		line(inline(strip(s)))
	}
	if (in_code)
		fail(n, "a ``` block is not closed")
	if (!("NAME" in seen))
		fail(n, "no ## NAME section")
}
