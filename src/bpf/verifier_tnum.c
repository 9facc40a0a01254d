/* Tristate numbers: for each bit of a 64-bit value, known 0, known 1, or
 * unknown. Every operation returns a tnum that contains every result of the
 * operation applied to values contained in its operands (soundness), and
 * exact results when the operands are constants. */
#include "bpf/verifier_internal.h"

struct tnum tnum_const(uint64_t v)
{
	return (struct tnum){v, 0};
}

struct tnum tnum_unknown(void)
{
	return (struct tnum){0, ~0ull};
}

bool tnum_is_const(struct tnum a)
{
	return a.mask == 0;
}

/* The bits above the highest bit in which min and max differ are known. */
struct tnum tnum_range(uint64_t min, uint64_t max)
{
	const uint64_t chi = min ^ max;
	if (chi == 0)
		return tnum_const(min);
	const unsigned bits = 64u - (unsigned)__builtin_clzll(chi);
	if (bits >= 64)
		return tnum_unknown();
	const uint64_t delta = (1ull << bits) - 1;
	return (struct tnum){min & ~delta, delta};
}

struct tnum tnum_add(struct tnum a, struct tnum b)
{
	const uint64_t sm = a.mask + b.mask, sv = a.value + b.value;
	const uint64_t sigma = sm + sv, chi = sigma ^ sv;
	const uint64_t mu = chi | a.mask | b.mask;
	return (struct tnum){sv & ~mu, mu};
}

struct tnum tnum_sub(struct tnum a, struct tnum b)
{
	const uint64_t dv = a.value - b.value;
	const uint64_t alpha = dv + a.mask, beta = dv - b.mask;
	const uint64_t mu = (alpha ^ beta) | a.mask | b.mask;
	return (struct tnum){dv & ~mu, mu};
}

struct tnum tnum_and(struct tnum a, struct tnum b)
{
	const uint64_t alpha = a.value | a.mask, beta = b.value | b.mask;
	const uint64_t v = a.value & b.value;
	return (struct tnum){v, alpha & beta & ~v};
}

struct tnum tnum_or(struct tnum a, struct tnum b)
{
	const uint64_t v = a.value | b.value, mu = a.mask | b.mask;
	return (struct tnum){v, mu & ~v};
}

struct tnum tnum_xor(struct tnum a, struct tnum b)
{
	const uint64_t v = a.value ^ b.value, mu = a.mask | b.mask;
	return (struct tnum){v & ~mu, mu};
}

/* Long multiplication: each possibly-set bit of a adds a shifted b. */
struct tnum tnum_mul(struct tnum a, struct tnum b)
{
	const uint64_t acc_v = a.value * b.value;
	struct tnum acc_m = tnum_const(0);
	while (a.value || a.mask) {
		if (a.value & 1)
			acc_m = tnum_add(acc_m, (struct tnum){0, b.mask});
		else if (a.mask & 1)
			acc_m = tnum_add(acc_m, (struct tnum){0, b.value | b.mask});
		a = tnum_rshift(a, 1);
		b = tnum_lshift(b, 1);
	}
	return tnum_add(tnum_const(acc_v), acc_m);
}

struct tnum tnum_lshift(struct tnum a, unsigned k)
{
	return (struct tnum){a.value << k, a.mask << k};
}

struct tnum tnum_rshift(struct tnum a, unsigned k)
{
	return (struct tnum){a.value >> k, a.mask >> k};
}

static uint64_t arsh_bits(uint64_t x, unsigned k, unsigned bits)
{
	const uint64_t sign = 1ull << (bits - 1);
	const uint64_t width_mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
	x &= width_mask;
	uint64_t r = x >> k;
	if (x & sign)
		r |= width_mask & ~(width_mask >> k);
	return r;
}

/* Arithmetic shift of a `bits`-wide value: an unknown sign bit makes the
 * shifted-in bits unknown (they copy it). */
struct tnum tnum_arshift(struct tnum a, unsigned k, unsigned bits)
{
	return (struct tnum){arsh_bits(a.value, k, bits), arsh_bits(a.mask, k, bits)};
}

struct tnum tnum_intersect(struct tnum a, struct tnum b)
{
	const uint64_t v = a.value | b.value, mu = a.mask & b.mask;
	return (struct tnum){v & ~mu, mu};
}

/* Do a and b disagree on a bit both know (so no value is in both)? */
bool tnum_conflict(struct tnum a, struct tnum b)
{
	return ((a.value ^ b.value) & ~(a.mask | b.mask)) != 0;
}

struct tnum tnum_cast(struct tnum a, unsigned bytes)
{
	if (bytes >= 8)
		return a;
	const uint64_t m = (1ull << (bytes * 8)) - 1;
	return (struct tnum){a.value & m, a.mask & m};
}

/* Is every value of inner also one of outer? */
bool tnum_in(struct tnum outer, struct tnum inner)
{
	if (inner.mask & ~outer.mask)
		return false;
	return (inner.value & ~outer.mask) == outer.value;
}
