/* The error object both netlink files (rtnl.c, nft.c) hand to JavaScript: one home for its shape. */
#ifndef NSVSWITCH_OP_ERROR_H
#define NSVSWITCH_OP_ERROR_H

#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>

/* An Error with message `msg` and fields code (errno name) and errno: the base of every error the addon returns. */
static inline napi_value nsvs_errno_error(napi_env env, const char *msg, int err) {
  const char *code = strerrorname_np(err);
  napi_value m, c, e, v;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, code ? code : "EUNKNOWN", NAPI_AUTO_LENGTH, &c);
  napi_create_error(env, c, m, &e);
  napi_set_named_property(env, e, "code", c);
  napi_create_int32(env, err, &v);
  napi_set_named_property(env, e, "errno", v);
  return e;
}

/*
 * An Error "<op> <subject>: <reason>" with fields code (errno name), errno,
 * op and reason (the kernel's extended-ack text, or strerror).
 */
static inline napi_value nsvs_op_error(napi_env env, const char *op, const char *subject, int err, const char *kernel_reason) {
  char msg[512];
  const char *reason = kernel_reason && kernel_reason[0] ? kernel_reason : strerror(err);
  snprintf(msg, sizeof msg, "%s %s: %s", op, subject, reason);
  napi_value e = nsvs_errno_error(env, msg, err), v;
  napi_create_string_utf8(env, op, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, e, "op", v);
  napi_create_string_utf8(env, reason, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, e, "reason", v);
  return e;
}

/* The extended-ack message (NLMSGERR_ATTR_MSG) of an NLMSG_ERROR, if the kernel sent one; else out stays "". */
static inline void nsvs_ext_ack_reason(const struct nlmsghdr *h, char *out, size_t cap) {
  out[0] = '\0';
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) return;
  const struct nlmsgerr *e = NLMSG_DATA(h);
  size_t off = sizeof *e + ((h->nlmsg_flags & NLM_F_CAPPED) ? 0 : e->msg.nlmsg_len - NLMSG_HDRLEN);
  size_t at = NLMSG_HDRLEN + NLMSG_ALIGN(off);
  while (at + NLA_HDRLEN <= h->nlmsg_len) {
    const struct nlattr *a = (const struct nlattr *)((const char *)h + at);
    if (a->nla_len < NLA_HDRLEN || at + a->nla_len > h->nlmsg_len) return;
    size_t payload = a->nla_len - NLA_HDRLEN;
    if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && payload > 1) {
      snprintf(out, cap, "%.*s", (int)payload - 1, (const char *)a + NLA_HDRLEN);
      return;
    }
    at += NLA_ALIGN(a->nla_len);
  }
}

#endif
