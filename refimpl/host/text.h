/*
 * text.h - small pure text helpers of the reference node, shared by the
 * host (the notify hook's JSON), the status answer, the cluster log and
 * hanode's control answers: JSON string escaping and a bounded builder.
 */
#ifndef HN_TEXT_H
#define HN_TEXT_H

#include <stddef.h>

/* JSON string escaping (without the quotes), truncated to fit out_size. */
void hn_json_escape(const char *text, char *out, size_t out_size);

/* A bounded text builder: appends stop at the end of the buffer (callers
 * size it for the worst case and check used against size). */
struct hn_text {
	char *data;
	size_t size;
	size_t used;
};

__attribute__((format(printf, 2, 3))) void hn_text_add(struct hn_text *text, const char *format,
						       ...);

#endif
