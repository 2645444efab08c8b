// SPDX-License-Identifier: MIT
/*
 * Rust symbol names, readable, for reports' stack traces: rustc mangles a
 * program's own code with the legacy scheme (_ZN...17h<hash>E) and the
 * standard library with "v0" (_R..., RFC 2603).  Both are decoded here, as
 * rustc-demangle prints them in its short form: no hashes, no crate
 * disambiguators.  Only reports come here; anything unexpected gives up
 * (NULL) and the name is printed as it is.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rust_demangle.h"

/* --- legacy: _ZN <len><ident>... 17h<16 hex digits> E -------------------- */

/*
 * One escape in a legacy identifier at s ('$' first): "$LT$" is '<', "$C$"
 * ',', "$u7b$" '{'.  Returns its length, 0 if it is not one.
 */
static size_t legacy_escape(const char *s, size_t n, char *c)
{
	static const char *const names[] = { "SP@", "BP*", "RF&", "LT<", "GT>",
					     "LP(", "RP)", "C,", NULL };
	const char *end = n > 1 ? memchr(s + 1, '$', n - 1) : NULL;
	size_t len = end ? (size_t)(end - s) + 1 : 0;	/* with both '$' */
	char hex[5] = { 0 }, *stop;

	if (!end)
		return 0;
	for (int i = 0; names[i]; i++) {
		size_t code = strlen(names[i]) - 1;

		if (len == code + 2 && !strncmp(s + 1, names[i], code)) {
			*c = names[i][code];
			return len;
		}
	}
	if (s[1] != 'u' || len < 4 || len > 7)
		return 0;
	memcpy(hex, s + 2, len - 3);
	*c = (char)strtoul(hex, &stop, 16);
	return *stop || !*c ? 0 : len;
}

/* A legacy identifier, unescaped: ".." is "::", a leading "_$" is '$'. */
static char *legacy_ident(char *o, const char *s, size_t n)
{
	size_t i = n > 1 && s[0] == '_' && s[1] == '$';

	while (i < n) {
		size_t used = s[i] == '$' ? legacy_escape(s + i, n - i, o) : 0;

		if (used) {
			o++;
			i += used;
		} else if (s[i] == '.' && i + 1 < n && s[i + 1] == '.') {
			*o++ = ':';
			*o++ = ':';
			i += 2;
		} else {
			*o++ = s[i++];
		}
	}
	return o;
}

static char *legacy_demangle(const char *name)
{
	const char *p = name + 3, *last = NULL;
	size_t lastlen = 0;
	char *out, *o;

	if (!(out = malloc(2 * strlen(name) + 1)))
		return NULL;
	o = out;
	while (*p >= '1' && *p <= '9') {
		char *ident;
		size_t n = strtoul(p, &ident, 10);

		if (strnlen(ident, n) < n)
			break;
		if (last) {	/* every identifier but the last, the hash */
			o = legacy_ident(o, last, lastlen);
			*o++ = ':';
			*o++ = ':';
		}
		last = ident;
		lastlen = n;
		p = ident + n;
	}
	if (*p != 'E' || o == out || lastlen != 17 || last[0] != 'h' ||
	    strspn(last + 1, "0123456789abcdef") != 16) {
		free(out);
		return NULL;
	}
	o[-2] = '\0';
	return out;
}

/* --- v0: _R <path> [<instantiating crate>] [.suffix] --------------------- */

#define V0_OUT		1024
#define V0_DEPTH	64

struct v0 {
	const char *sym;	/* after "_R": backrefs count from here */
	size_t pos, len;
	char *out;
	size_t olen;
	int depth;
	bool quiet;		/* parsing without printing (impl paths) */
	bool bad;
};

static char peek(struct v0 *v)
{
	return v->pos < v->len ? v->sym[v->pos] : '\0';
}

static bool eat(struct v0 *v, char c)
{
	if (peek(v) != c)
		return false;
	v->pos++;
	return true;
}

static char next(struct v0 *v)
{
	char c = peek(v);

	if (!c)
		v->bad = true;
	else
		v->pos++;
	return c;
}

static void put(struct v0 *v, const char *s, size_t n)
{
	if (v->quiet)
		return;
	if (n > V0_OUT - 1 - v->olen)
		n = V0_OUT - 1 - v->olen;
	memcpy(v->out + v->olen, s, n);
	v->olen += n;
}

static void puts_(struct v0 *v, const char *s)
{
	put(v, s, strlen(s));
}

/* <base-62-number>: "_" is 0, else digits then "_", value + 1. */
static uint64_t base62(struct v0 *v)
{
	uint64_t x = 0;
	char c;

	if (eat(v, '_'))
		return 0;
	while ((c = next(v)) != '_' && !v->bad) {
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'z' ? c - 'a' + 10 :
			c >= 'A' && c <= 'Z' ? c - 'A' + 36 : -1;

		if (d < 0 || x > (UINT64_MAX - 62) / 62) {
			v->bad = true;
			return 0;
		}
		x = x * 62 + (uint64_t)d;
	}
	return x + 1;
}

static uint64_t opt_disambiguator(struct v0 *v)
{
	return eat(v, 's') ? base62(v) : 0;
}

/* ["u"] <decimal> ["_"] <bytes>: the bytes, not copied. */
static const char *ident(struct v0 *v, size_t *n)
{
	size_t len = 0;
	const char *start;

	(void)eat(v, 'u');	/* punycode: shown as it is */
	if (peek(v) < '0' || peek(v) > '9') {
		v->bad = true;
		return "";
	}
	while (peek(v) >= '0' && peek(v) <= '9' && len < v->len)
		len = len * 10 + (size_t)(next(v) - '0');
	(void)eat(v, '_');
	if (len > v->len - v->pos) {
		v->bad = true;
		return "";
	}
	start = v->sym + v->pos;
	v->pos += len;
	*n = len;
	return start;
}

static void path(struct v0 *v, bool in_value);
static void type(struct v0 *v);

/* Backrefs point backwards, to a path, type or const printed again. */
static void backref(struct v0 *v, void (*print)(struct v0 *, bool), bool arg)
{
	size_t here = v->pos - 1;	/* the 'B' */
	uint64_t to = base62(v);
	size_t resume = v->pos;

	if (v->bad || to >= here) {
		v->bad = true;
		return;
	}
	v->pos = (size_t)to;
	print(v, arg);
	v->pos = resume;
}

static void type_as_path(struct v0 *v, bool unused)
{
	(void)unused;
	type(v);
}

static void konst(struct v0 *v);

static void konst_as_path(struct v0 *v, bool unused)
{
	(void)unused;
	konst(v);
}

static void generic_arg(struct v0 *v)
{
	if (eat(v, 'L')) {
		(void)base62(v);
		puts_(v, "'_");
	} else if (eat(v, 'K')) {
		konst(v);
	} else {
		type(v);
	}
}

static void generic_args(struct v0 *v)
{
	for (int i = 0; !v->bad && !eat(v, 'E'); i++) {
		if (i)
			puts_(v, ", ");
		generic_arg(v);
	}
}

/* An impl's own path (its parent and disambiguator) is not printed. */
static void impl_path(struct v0 *v)
{
	bool quiet = v->quiet;

	(void)opt_disambiguator(v);
	v->quiet = true;
	path(v, false);
	v->quiet = quiet;
}

static void path(struct v0 *v, bool in_value)
{
	char tag, ns;
	const char *name;
	size_t n = 0;
	uint64_t dis;

	if (++v->depth > V0_DEPTH)
		v->bad = true;
	if (v->bad)
		goto out;
	switch ((tag = next(v))) {
	case 'C':	/* crate root */
		(void)opt_disambiguator(v);
		name = ident(v, &n);
		put(v, name, n);
		break;
	case 'N':	/* parent::name */
		ns = next(v);
		path(v, in_value);
		dis = opt_disambiguator(v);
		name = ident(v, &n);
		if (ns >= 'A' && ns <= 'Z') {	/* closures, shims */
			char num[24];
			int len;

			puts_(v, "::{");
			puts_(v, ns == 'C' ? "closure" : ns == 'S' ? "shim" : "?");
			if (n) {
				puts_(v, ":");
				put(v, name, n);
			}
			len = snprintf(num, sizeof(num), "#%llu}", (unsigned long long)dis);
			put(v, num, (size_t)len);
		} else if (n) {
			puts_(v, "::");
			put(v, name, n);
		}
		break;
	case 'M':	/* <Type> */
		impl_path(v);
		puts_(v, "<");
		type(v);
		puts_(v, ">");
		break;
	case 'X':	/* <Type as Trait> */
		impl_path(v);
		/* fall through */
	case 'Y':
		puts_(v, "<");
		type(v);
		puts_(v, " as ");
		path(v, false);
		puts_(v, ">");
		break;
	case 'I':	/* path<args> */
		path(v, in_value);
		puts_(v, in_value ? "::<" : "<");
		generic_args(v);
		puts_(v, ">");
		break;
	case 'B':
		backref(v, path, in_value);
		break;
	default:
		v->bad = true;
	}
out:
	v->depth--;
}

static const char *basic_type(char c)
{
	switch (c) {
	case 'a': return "i8";
	case 'b': return "bool";
	case 'c': return "char";
	case 'd': return "f64";
	case 'e': return "str";
	case 'f': return "f32";
	case 'h': return "u8";
	case 'i': return "isize";
	case 'j': return "usize";
	case 'l': return "i32";
	case 'm': return "u32";
	case 'n': return "i128";
	case 'o': return "u128";
	case 'p': return "_";
	case 's': return "i16";
	case 't': return "u16";
	case 'u': return "()";
	case 'v': return "...";
	case 'x': return "i64";
	case 'y': return "u64";
	case 'z': return "!";
	default: return NULL;
	}
}

static void fn_sig(struct v0 *v)
{
	if (eat(v, 'G'))
		(void)base62(v);
	if (eat(v, 'U'))
		puts_(v, "unsafe ");
	if (eat(v, 'K')) {
		puts_(v, "extern \"");
		if (eat(v, 'C')) {
			puts_(v, "C");
		} else {
			size_t n = 0;
			const char *abi = ident(v, &n);

			for (size_t i = 0; i < n; i++)
				put(v, abi[i] == '_' ? "-" : abi + i, 1);
		}
		puts_(v, "\" ");
	}
	puts_(v, "fn(");
	generic_args(v);	/* the parameter types, up to 'E' */
	puts_(v, ")");
	if (eat(v, 'u'))
		return;
	puts_(v, " -> ");
	type(v);
}

static void dyn_bounds(struct v0 *v)
{
	if (eat(v, 'G'))
		(void)base62(v);
	puts_(v, "dyn ");
	for (int i = 0; !v->bad && !eat(v, 'E'); i++) {
		if (i)
			puts_(v, " + ");
		path(v, false);
		while (!v->bad && eat(v, 'p')) {	/* Trait<Assoc = T> */
			size_t n = 0;
			const char *name = ident(v, &n);

			puts_(v, "<");
			put(v, name, n);
			puts_(v, " = ");
			type(v);
			puts_(v, ">");
		}
	}
	if (eat(v, 'L'))
		(void)base62(v);
}

static void type(struct v0 *v)
{
	const char *basic = basic_type(peek(v));
	char tag;

	if (++v->depth > V0_DEPTH)
		v->bad = true;
	if (v->bad)
		goto out;
	if (basic) {
		v->pos++;
		puts_(v, basic);
		goto out;
	}
	switch ((tag = peek(v))) {
	case 'A':
	case 'S':
		v->pos++;
		puts_(v, "[");
		type(v);
		if (tag == 'A') {
			puts_(v, "; ");
			konst(v);
		}
		puts_(v, "]");
		break;
	case 'T': {
		int i;

		v->pos++;
		puts_(v, "(");
		for (i = 0; !v->bad && !eat(v, 'E'); i++) {
			if (i)
				puts_(v, ", ");
			type(v);
		}
		puts_(v, i == 1 ? ",)" : ")");
		break;
	}
	case 'R':
	case 'Q':
		v->pos++;
		if (eat(v, 'L'))
			(void)base62(v);
		puts_(v, tag == 'R' ? "&" : "&mut ");
		type(v);
		break;
	case 'P':
	case 'O':
		v->pos++;
		puts_(v, tag == 'P' ? "*const " : "*mut ");
		type(v);
		break;
	case 'F':
		v->pos++;
		fn_sig(v);
		break;
	case 'D':
		v->pos++;
		dyn_bounds(v);
		break;
	case 'B':
		v->pos++;
		backref(v, type_as_path, false);
		break;
	default:
		path(v, false);
	}
out:
	v->depth--;
}

/* Constants in generic arguments: integers, bool, char, and placeholders. */
static void konst(struct v0 *v)
{
	char t = next(v), num[24];
	uint64_t x = 0;
	bool neg;
	int len;

	if (t == 'p') {
		puts_(v, "_");
		return;
	}
	if (t == 'B') {
		backref(v, konst_as_path, false);
		return;
	}
	if (!basic_type(t) || strchr("defpuvz", t)) {
		v->bad = true;	/* newer forms (structs, arrays...) */
		return;
	}
	neg = eat(v, 'n');
	for (char c; (c = next(v)) != '_' && !v->bad;) {
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0 || x >> 60) {
			v->bad = true;
			return;
		}
		x = x * 16 + (uint64_t)d;
	}
	if (t == 'b') {
		puts_(v, x ? "true" : "false");
		return;
	}
	if (t == 'c' && x >= 0x20 && x < 0x7f) {
		len = snprintf(num, sizeof(num), "'%c'", (char)x);
		put(v, num, (size_t)len);
		return;
	}
	len = snprintf(num, sizeof(num), "%s%llu", neg ? "-" : "", (unsigned long long)x);
	put(v, num, (size_t)len);
}

static char *v0_demangle(const char *name)
{
	struct v0 v = { .sym = name + 2, .len = strcspn(name + 2, ".$") };

	if (!(v.out = malloc(V0_OUT)))
		return NULL;
	if (peek(&v) >= '0' && peek(&v) <= '9')	/* an encoding version: none known */
		v.bad = true;
	path(&v, true);
	if (!v.bad && v.pos < v.len) {	/* the instantiating crate: not shown */
		v.quiet = true;
		path(&v, false);
	}
	if (v.bad || v.pos != v.len) {
		free(v.out);
		return NULL;
	}
	v.out[v.olen] = '\0';
	return v.out;
}

char *ksync_rust_demangle(const char *name)
{
	if (!strncmp(name, "_ZN", 3))
		return legacy_demangle(name);
	if (!strncmp(name, "_R", 2))
		return v0_demangle(name);
	return NULL;
}
