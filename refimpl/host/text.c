/*
 * text.c - JSON string escaping and the bounded text builder (text.h).
 *
 * Escaping writes \" \\ \n and \u00XX for the other control bytes; bytes
 * of 0x80 and above pass unchanged (UTF-8 stays UTF-8). Both stop at the
 * end of their buffer instead of overrunning it, and always terminate it.
 */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>

void hn_json_escape(const char *text, char *out, size_t out_size)
{
	size_t used = 0;
	for (const unsigned char *c = (const unsigned char *)text; *c && used + 7 < out_size; c++) {
		if (*c == '"' || *c == '\\') {
			out[used++] = '\\';
			out[used++] = (char)*c;
		} else if (*c == '\n') {
			out[used++] = '\\';
			out[used++] = 'n';
		} else if (*c < 0x20 || *c == 0x7f) {
			used += (size_t)snprintf(out + used, out_size - used, "\\u%04x", *c);
		} else {
			out[used++] = (char)*c;
		}
	}
	if (out_size)
		out[used < out_size ? used : out_size - 1] = '\0';
}

void hn_text_add(struct hn_text *text, const char *format, ...)
{
	va_list arguments;
	va_start(arguments, format);
	if (text->used < text->size) {
		int written =
		    vsnprintf(text->data + text->used, text->size - text->used, format, arguments);
		if (written > 0)
			text->used += (size_t)written;
		if (text->used >= text->size)
			text->used = text->size - 1;
	}
	va_end(arguments);
}
