# help2md.awk: a tool's --help text to the Markdown of its manual page's
# SYNOPSIS, DESCRIPTION, OPTIONS and EXIT STATUS, so that the options are
# written once, in the tool (mkman.sh puts the result where the page's
# source says "<!-- generated: ... -->").
#
# The help text's shape, as ksync's tools print it:
#   usage: NAME ...            the first paragraph (more lines indented)
#   a paragraph                description
#     --opt ARG   what         an option; deeper-indented lines continue it
#   Title:                     a list of its own (a subsection of OPTIONS)
#     name        what
#   Exit status: ...           the EXIT STATUS section

# Markdown-escape plain text: md2man.awk reads \X as X.
function md(s) {
	gsub(/[\\`*[]/, "\\\\&", s)
	return s
}

# An option's or a name's synopsis: -x and --opt, and literal words, in
# bold; metavariables (FILE, NAME, N) in italics; the rest as it is.
function term(s,    out) {
	out = ""
	while (length(s) > 0) {
		if (match(s, /^\.[A-Za-z0-9]+/))		# FILE.png: .png as it is
			out = out substr(s, 1, RLENGTH)
		else if (match(s, /^-[-A-Za-z0-9]*/) || match(s, /^[a-z][a-z0-9_-]*/))
			out = out "`" substr(s, 1, RLENGTH) "`"
		else if (match(s, /^[A-Z][A-Z0-9_]*/))
			out = out "*" substr(s, 1, RLENGTH) "*"
		else {
			RLENGTH = 1
			out = out md(substr(s, 1, 1))
		}
		s = substr(s, RLENGTH + 1)
	}
	return out
}

# "--opt ARG   what": the term ends at two spaces; where a long term
# left room for only one, at the first word after the option that is not
# a metavariable (ARG, FILE.png, NAME[,NAME]).
function split_entry(s,    p, n, w, i) {
	if ((p = match(s, /  +/))) {
		entry_term = substr(s, 1, p - 1)
		entry_text = substr(s, p + RLENGTH)
		return
	}
	n = split(s, w, " ")
	entry_term = w[1]
	for (i = 2; i <= n && w[i] ~ /^[A-Z][][A-Z0-9_.,=]*$/; i++)
		entry_term = entry_term " " w[i]
	entry_text = ""
	for (; i <= n; i++)
		entry_text = entry_text (entry_text == "" ? "" : " ") w[i]
}

function flush_entry() {
	if (entry_term != "")
		body[nbody_sect] = body[nbody_sect] term(entry_term) "\n: " md(entry_text) "\n\n"
	entry_term = ""
}

function add_para(kind, text) {
	if (kind == "exit")
		exit_text = exit_text md(text) "\n\n"
	else
		desc = desc md(text) "\n\n"
}

# One paragraph of the help, in lines[1..nl].
function paragraph(    i, first, text, s, p) {
	if (nl == 0)
		return
	first = lines[1]
	if (npara++ == 0) {
		if (!sub(/^[Uu]sage: /, "", first)) {
			print "help2md: the help does not start with 'usage:'" > "/dev/stderr"
			exit 1
		}
		synopsis = first
		for (i = 2; i <= nl; i++) {
			s = lines[i]
			sub(/^       /, "", s)
			synopsis = synopsis "\n" s
		}
		nl = 0
		return
	}
	# A list: entries at two spaces, continuations deeper; a "Title:"
	# line above it names a subsection of its own.
	if (first ~ /^  [^ ]/ || first ~ /^[A-Z][^.]*:$/ && lines[2] ~ /^  [^ ]/) {
		nbody_sect++
		sect_title[nbody_sect] = first ~ /^  / ? "" : substr(first, 1, length(first) - 1)
		for (i = first ~ /^  / ? 1 : 2; i <= nl; i++) {
			s = lines[i]
			if (s ~ /^  [^ ]/) {
				flush_entry()
				sub(/^  /, "", s)
				split_entry(s)
			} else {
				sub(/^ +/, "", s)
				entry_text = entry_text (entry_text == "" ? "" : " ") s
			}
		}
		flush_entry()
		nl = 0
		return
	}
	text = lines[1]
	for (i = 2; i <= nl; i++)
		text = text "\n" lines[i]
	if (sub(/^Exit status: */, "", text))
		add_para("exit", text)
	else
		add_para("desc", text)
	nl = 0
}

/^[ \t]*$/ { paragraph(); next }
{ lines[++nl] = $0 }

END {
	paragraph()
	print "## SYNOPSIS"
	print ""
	print "```"
	print synopsis
	print "```"
	print ""
	print "## DESCRIPTION"
	print ""
	printf("%s", desc)
	print "## OPTIONS"
	print ""
	for (i = 1; i <= nbody_sect; i++) {
		if (sect_title[i] != "") {
			print "### " sect_title[i]
			print ""
		}
		printf("%s", body[i])
	}
	if (exit_text != "") {
		print "## EXIT STATUS"
		print ""
		printf("%s", exit_text)
	}
}
