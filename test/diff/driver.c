/*
 * Differential-test driver: the kernel's own decoders (compiled from
 * linux-source-6.1 at test time) behind a pipe. Reads requests from stdin,
 * answers on stdout, both little-endian:
 *
 *   request:  u32 op, i32 a, u32 b, u32 len, u8 payload[len]
 *   response: i32 ret, u32 aux1, u32 aux2, u32 outlen, u8 out[outlen]
 *
 * op 1  decode_rs8 as ram_core calls it: a = nroots, b = data length;
 *       payload = data[b] then parity[nroots]; out = data and parity after.
 * op 2  crypto/deflate.c's __deflate_decompress (6.1: raw, 11 window bits,
 *       Z_SYNC_FLUSH then one zero byte with Z_FINISH): b = dlen;
 *       ret 0 or -EINVAL; aux1 = first zlib_inflate return, aux2 = total_in.
 * op 3  fs/pstore/platform.c's decompress_record (6.6+: raw, 15 window
 *       bits, one Z_FINISH call): as op 2.
 * op 4  lzo1x_decompress_safe: b = output capacity; ret = LZO_E_* code.
 * op 5  LZ4_decompress_safe: b = output capacity; ret = its return value.
 *
 * Our code (MIT). Built by test/diff/kernelDriver.ts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rslib.h>
#include <linux/zutil.h>
#include <linux/lzo.h>
#include <linux/lz4.h>

static int read_full(void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		size_t r = fread((char *)buf + got, 1, n - got, stdin);
		if (r == 0)
			return -1;
		got += r;
	}
	return 0;
}

static void reply(int32_t ret, uint32_t aux1, uint32_t aux2, const void *out, uint32_t outlen)
{
	uint32_t h[4] = { (uint32_t)ret, aux1, aux2, outlen };
	fwrite(h, 4, 4, stdout);
	if (outlen)
		fwrite(out, 1, outlen, stdout);
}

static struct rs_control *rs_codecs[256];

static void op_rs(int nroots, uint32_t len, uint8_t *payload)
{
	uint16_t par[256];
	uint8_t out[512];
	int i, ret;

	if (nroots < 1 || nroots > 254 || len < 1 || len + nroots > 255) {
		reply(-1000, 0, 0, NULL, 0);
		return;
	}
	if (!rs_codecs[nroots])
		rs_codecs[nroots] = init_rs(8, 0x11d, 0, 1, nroots);
	for (i = 0; i < nroots; i++)
		par[i] = payload[len + i];
	ret = decode_rs8(rs_codecs[nroots], payload, par, len, NULL, 0, NULL, 0, NULL);
	memcpy(out, payload, len);
	for (i = 0; i < nroots; i++)
		out[len + i] = (uint8_t)par[i];
	reply(ret, 0, 0, out, len + nroots);
}

static struct z_stream_s zs[2];

static void op_inflate(int modern, uint32_t dlen, const uint8_t *src, uint32_t slen, uint8_t *dst)
{
	struct z_stream_s *s = &zs[modern];
	int first, ret;

	if (!s->workspace) {
		s->workspace = malloc(zlib_inflate_workspacesize());
		zlib_inflateInit2(s, modern ? -MAX_WBITS : -11);
	}
	if (zlib_inflateReset(s) != Z_OK) {
		reply(-EINVAL, 0, 0, NULL, 0);
		return;
	}
	s->next_in = (uint8_t *)src;
	s->avail_in = slen;
	s->next_out = dst;
	s->avail_out = dlen;
	if (modern) {
		first = ret = zlib_inflate(s, Z_FINISH);
	} else {
		first = ret = zlib_inflate(s, Z_SYNC_FLUSH);
		if (ret == Z_OK && !s->avail_in && s->avail_out) {
			uint8_t zerostuff = 0;
			s->next_in = &zerostuff;
			s->avail_in = 1;
			ret = zlib_inflate(s, Z_FINISH);
		}
	}
	if (ret != Z_STREAM_END)
		reply(-EINVAL, (uint32_t)first, (uint32_t)s->total_in, dst, (uint32_t)s->total_out);
	else
		reply(0, (uint32_t)first, (uint32_t)s->total_in, dst, (uint32_t)s->total_out);
}

int main(void)
{
	uint32_t h[4];
	uint8_t *payload = NULL, *out = NULL;
	size_t cap = 0, outcap = 0;

	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	while (read_full(h, sizeof(h)) == 0) {
		uint32_t op = h[0], b = h[2], len = h[3];
		int32_t a = (int32_t)h[1];

		if (len + 1 > cap) {
			cap = len + 1;
			payload = realloc(payload, cap);
		}
		if (len && read_full(payload, len))
			return 1;
		if (op >= 2 && b + 64 > outcap) {
			outcap = b + 64;
			out = realloc(out, outcap);
		}
		/* A fresh, zeroed output buffer each time, as our decoders use: no
		 * answer may depend on what an earlier request left there. */
		if (op >= 2)
			memset(out, 0, b + 64 < outcap ? b + 64 : outcap);
		switch (op) {
		case 0:
			fflush(stdout);
			break;
		case 1:
			op_rs(a, b, payload);
			break;
		case 2:
		case 3:
			op_inflate(op == 3, b, payload, len, out);
			break;
		case 4: {
			size_t olen = b;
			int ret = lzo1x_decompress_safe(payload, len, out, &olen);
			reply(ret, 0, 0, out, (uint32_t)olen);
			break;
		}
		case 5: {
			int ret = LZ4_decompress_safe((const char *)payload, (char *)out, (int)len, (int)b);
			reply(ret, 0, 0, out, ret > 0 ? (uint32_t)ret : 0);
			break;
		}
		default:
			reply(-2000, 0, 0, NULL, 0);
		}
		if (op == 0)
			fflush(stdout);
	}
	fflush(stdout);
	return 0;
}
