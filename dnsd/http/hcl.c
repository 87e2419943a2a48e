/* hcl.c -- the flat subset of HCL that Consul service definitions use,
 * read into JSON
 *
 * HCL has no C library in Debian, and a service definition needs little
 * of it, so this reads only that little, strictly, and says file:line on
 * anything else:
 *
 *   file   := item*
 *   item   := key '=' value | key object        (a block: "service { ... }")
 *   key    := identifier | "string"
 *   value  := "string" | number | true | false | list | object
 *   list   := '[' (value (',' value)* ','?)? ']'
 *   object := '{' (key ('=' | ':') value ','? | key object)* '}'
 *
 * Comments are #, // and / * ... * /. Strings take \" \\ \n \t; heredocs,
 * interpolation and labelled blocks are refused. A block whose name comes
 * twice (two "service" blocks, two "check" blocks) becomes an array of
 * objects, as in HCL's JSON form; an assignment given twice is an error.
 * Every object made carries its first line under HTTP_LINE_KEY, and the
 * line of each of its keys K under HTTP_LINE_KEY ":K".
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/internal.h"

#define DEPTH_MAX 8

struct lex {
	const char *p, *end;
	unsigned line;
	char *err;
	size_t errlen;
	bool failed;
};

__attribute__((format(printf, 2, 3))) static void
fail(struct lex *x, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	if (x->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errlen, "%u: %s", x->line, msg);
	x->failed = true;
}

/* Skip blanks, newlines and comments. */
static void
skip(struct lex *x)
{
	while (x->p < x->end) {
		char c = *x->p;
		if (c == '\n') {
			x->line++;
			x->p++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			x->p++;
		} else if (c == '#' || (c == '/' && x->p + 1 < x->end && x->p[1] == '/')) {
			while (x->p < x->end && *x->p != '\n')
				x->p++;
		} else if (c == '/' && x->p + 1 < x->end && x->p[1] == '*') {
			unsigned start = x->line;
			for (x->p += 2; x->p < x->end && !(x->p[0] == '*' && x->p + 1 < x->end &&
			                                    x->p[1] == '/'); x->p++)
				if (*x->p == '\n')
					x->line++;
			if (x->p >= x->end) {
				x->line = start;
				fail(x, "comment not closed");
				return;
			}
			x->p += 2;
		} else {
			return;
		}
	}
}

static bool
peek(struct lex *x, char c)
{
	skip(x);
	return x->p < x->end && *x->p == c;
}

static bool
eat(struct lex *x, char c)
{
	if (!peek(x, c))
		return false;
	x->p++;
	return true;
}

/* A quoted string (the opening quote is next) into a new JSON string. */
static json_t *
string(struct lex *x)
{
	char buf[1024];
	size_t n = 0;
	x->p++;
	while (x->p < x->end && *x->p != '"') {
		char c = *x->p++;
		if (c == '\n') {
			fail(x, "a string does not end on its line");
			return NULL;
		}
		if (c == '$' && x->p < x->end && *x->p == '{') {
			fail(x, "interpolation (${...}) is not supported");
			return NULL;
		}
		if (c == '\\') {
			if (x->p >= x->end)
				break;
			c = *x->p++;
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
			if (strchr("\"\\\n\t", c) == NULL) {
				fail(x, "unknown escape \\%c in a string", c);
				return NULL;
			}
		}
		if (n + 1 >= sizeof(buf)) {
			fail(x, "a string longer than %zu bytes", sizeof(buf) - 1);
			return NULL;
		}
		buf[n++] = c;
	}
	if (x->p >= x->end) {
		fail(x, "a string is not closed");
		return NULL;
	}
	x->p++;
	return json_stringn(buf, n);
}

/* A key: an identifier or a quoted string; false (with an error) if none. */
static bool
key(struct lex *x, char *out, size_t size)
{
	skip(x);
	if (x->p < x->end && *x->p == '"') {
		json_t *s = string(x);
		if (s == NULL)
			return false;
		snprintf(out, size, "%s", json_string_value(s));
		json_decref(s);
		return true;
	}
	size_t n = 0;
	while (x->p < x->end && (isalnum((unsigned char)*x->p) || *x->p == '_' || *x->p == '-')) {
		if (n + 1 < size)
			out[n++] = *x->p;
		x->p++;
	}
	out[n] = '\0';
	if (n == 0) {
		if (x->p < x->end)
			fail(x, "expected a name, found '%c'", *x->p);
		else
			fail(x, "expected a name, found the end of the file");
	}
	return n > 0;
}

static json_t *object(struct lex *x, char close, int depth);

static json_t *
value(struct lex *x, int depth)
{
	skip(x);
	if (x->p >= x->end) {
		fail(x, "expected a value, found the end of the file");
		return NULL;
	}
	if (depth > DEPTH_MAX) {
		fail(x, "nested too deeply");
		return NULL;
	}
	char c = *x->p;
	if (c == '"')
		return string(x);
	if (c == '<' && x->p + 1 < x->end && x->p[1] == '<') {
		fail(x, "heredocs (<<) are not supported");
		return NULL;
	}
	if (c == '{') {
		x->p++;
		return object(x, '}', depth + 1);
	}
	if (c == '[') {
		json_t *a = json_array();
		x->p++;
		while (!x->failed && !eat(x, ']')) {
			json_t *v = value(x, depth + 1);
			if (v == NULL)
				break;
			json_array_append_new(a, v);
			if (!eat(x, ',') && !peek(x, ']'))
				fail(x, "expected ',' or ']' in a list");
		}
		if (x->failed) {
			json_decref(a);
			return NULL;
		}
		return a;
	}
	if (isdigit((unsigned char)c) || c == '-') {
		char *end;
		long long v = strtoll(x->p, &end, 10);
		if (end < x->end && (*end == '.' || *end == 'e' || *end == 'E')) {
			double d = strtod(x->p, &end);
			x->p = end;
			return json_real(d);
		}
		if (end == x->p || (end < x->end && isalpha((unsigned char)*end))) {
			fail(x, "not a number (a duration is a string: \"10s\")");
			return NULL;
		}
		x->p = end;
		return json_integer(v);
	}
	char word[16];
	if (!key(x, word, sizeof(word)))
		return NULL;
	if (strcmp(word, "true") == 0 || strcmp(word, "false") == 0)
		return json_boolean(word[0] == 't');
	fail(x, "expected a value, found %s (strings are quoted)", word);
	return NULL;
}

/* Add a block's object under `k`: a second block of the same name makes
 * an array. */
static bool
add_block(struct lex *x, json_t *obj, const char *k, json_t *v)
{
	json_t *old = json_object_get(obj, k);
	if (old == NULL)
		return json_object_set_new(obj, k, v) == 0;
	if (json_is_object(old)) {
		json_t *a = json_pack("[O, o]", old, v);
		return json_object_set_new(obj, k, a) == 0;
	}
	if (json_is_array(old))
		return json_array_append_new(old, v) == 0;
	json_decref(v);
	fail(x, "%s given twice", k);
	return false;
}

/* The items of an object up to `close` ('}', or 0 for the end of the file). */
static json_t *
object(struct lex *x, char close, int depth)
{
	json_t *o = json_object();
	char k[256], lk[256 + sizeof(HTTP_LINE_KEY) + 1];
	unsigned start = x->line;
	json_object_set_new(o, HTTP_LINE_KEY, json_integer(x->line));
	for (;;) {
		skip(x);
		if (x->failed)
			break;
		if (close == 0 ? x->p >= x->end : eat(x, close))
			return o;
		if (x->p >= x->end) {
			x->line = start;
			fail(x, "'{' not closed with '}'");
			break;
		}
		unsigned kline = x->line;
		if (!key(x, k, sizeof(k)))
			break;
		/* Each key's line too, for messages about its value (def.c). */
		snprintf(lk, sizeof(lk), "%s:%s", HTTP_LINE_KEY, k);
		json_object_set_new(o, lk, json_integer(kline));
		if (strncmp(k, HTTP_LINE_KEY, strlen(HTTP_LINE_KEY)) == 0) {
			fail(x, "bad name");
			break;
		}
		if (peek(x, '{')) {
			unsigned line = x->line;
			x->p++;
			json_t *v = depth < DEPTH_MAX ? object(x, '}', depth + 1) : NULL;
			if (v == NULL) {
				fail(x, "nested too deeply");
				break;
			}
			json_object_set_new(v, HTTP_LINE_KEY, json_integer(line));
			if (!add_block(x, o, k, v))
				break;
		} else if (eat(x, '=') || (close != 0 && eat(x, ':'))) {
			json_t *v = value(x, depth);
			if (v == NULL)
				break;
			if (json_object_get(o, k) != NULL) {
				json_decref(v);
				fail(x, "%s given twice", k);
				break;
			}
			json_object_set_new(o, k, v);
			eat(x, ',');
		} else if (peek(x, '"')) {
			fail(x, "labelled blocks (%s \"...\" { }) are not supported", k);
			break;
		} else {
			x->line = kline;
			fail(x, "expected '=' or '{' after %s", k);
			break;
		}
	}
	json_decref(o);
	return NULL;
}

json_t *
http_hcl_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct lex x = { text, text + len, 1, err, errlen, false };
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "1: not a text file");
		return NULL;
	}
	json_t *o = object(&x, 0, 0);
	if (o != NULL && x.failed) {
		json_decref(o);
		o = NULL;
	}
	return o;
}
