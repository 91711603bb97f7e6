/*
 * version.h - the version hanode and hactl print (--version). The wire
 * protocol has its own number (HN_PROTOCOL_VERSION, hn_core.h), checked on
 * every heartbeat; this one names the software.
 */
#ifndef HN_VERSION_H
#define HN_VERSION_H

#define HN_VERSION "0.2.0"

#endif
