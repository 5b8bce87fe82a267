/* The lab's test guest (reference lab.md, section 0). Its command line:
 *   mib=N      size of the memory region it writes (MiB, default 64)
 *   rate=R     MiB/s it re-dirties, paced by a 1 kHz PIT; "max": as fast as
 *              the vCPU can; 0 (default): idle
 *   fill=0|1   write every page once at boot, so a migration copies it all
 *   report=MS  heartbeat period (default 1000)
 *   corrupt=1  spoil one word of page 0 after the fill (to test the check)
 * Every page holds one 32-bit value repeated, derived from its index and
 * its generation; a page whose words disagree or name another page counts
 * in verify_err (of the last full pass over the region; verify_err_total
 * adds up all passes). The heartbeat line goes to the serial port and the
 * counter to guest-physical 0x500 (readable with HMP `xp`). */
#include <stdint.h>

#define REGION_BASE (4u << 20)
#define PAGE 4096u
#define WORDS (PAGE / 4)
#define MAX_PAGES (1u << 18) /* 1 GiB */

extern void wait_tick(void);
extern void timer_isr(void);
extern void fault_isr(void);

volatile uint32_t ticks;
static uint32_t gen[MAX_PAGES];

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static void serial_init(void)
{
	outb(0x3f9, 0x00);
	outb(0x3fb, 0x80);
	outb(0x3f8, 0x01); /* 115200 baud */
	outb(0x3f9, 0x00);
	outb(0x3fb, 0x03);
	outb(0x3fa, 0xc7);
	outb(0x3fc, 0x0b);
}

static void putc_(char c)
{
	while (!(inb(0x3fd) & 0x20))
		;
	outb(0x3f8, (uint8_t)c);
}

static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

static void putu(uint32_t v)
{
	char buf[11];
	int i = 10;
	buf[i] = '\0';
	do
		buf[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i);
	puts_(buf + i);
}

struct idt_entry {
	uint16_t lo, sel;
	uint8_t zero, type;
	uint16_t hi;
} __attribute__((packed));

static struct idt_entry idt[256];

static void set_gate(int n, void (*fn)(void), uint16_t cs)
{
	uint32_t a = (uint32_t)fn;
	idt[n] = (struct idt_entry){ (uint16_t)a, cs, 0, 0x8e, (uint16_t)(a >> 16) };
}

static void interrupts_init(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (int i = 0; i < 256; i++)
		set_gate(i, fault_isr, cs);
	set_gate(0x20, timer_isr, cs);
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) d = { sizeof(idt) - 1, (uint32_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
	/* PIC: IRQs at 0x20/0x28, only the timer unmasked */
	outb(0x20, 0x11); outb(0xa0, 0x11);
	outb(0x21, 0x20); outb(0xa1, 0x28);
	outb(0x21, 0x04); outb(0xa1, 0x02);
	outb(0x21, 0x01); outb(0xa1, 0x01);
	outb(0x21, 0xfe); outb(0xa1, 0xff);
	/* PIT channel 0, rate generator, 1193182 / 1193 = ~1 kHz */
	outb(0x43, 0x34);
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
}

/* A timer interrupt is waiting: take it (time must advance while the
 * guest writes memory flat out). */
static int tick_pending(void)
{
	outb(0x20, 0x0a); /* read the IRR */
	return inb(0x20) & 1;
}

static uint32_t parse_num(const char *s)
{
	uint32_t v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint32_t)(*s++ - '0');
	return v;
}

static int starts(const char *s, const char *p)
{
	while (*p)
		if (*s++ != *p++)
			return 0;
	return 1;
}

static uint32_t value_of(uint32_t page)
{
	return page ^ (gen[page] << 18);
}

static void write_page(uint32_t page)
{
	gen[page]++;
	uint32_t v = value_of(page);
	volatile uint32_t *p = (volatile uint32_t *)(REGION_BASE + page * PAGE);
	for (uint32_t i = 0; i < WORDS; i++)
		p[i] = v;
}

/* Checks count pages from *cursor on; returns how many were wrong. Spread
 * over the ticks, a whole pass takes one report period, so no single
 * heartbeat waits for the whole region (slow under some KVM flavours). */
static uint32_t verify_some(uint32_t *cursor, uint32_t count, uint32_t pages)
{
	uint32_t bad = 0;
	for (; count && *cursor < pages; count--, (*cursor)++) {
		uint32_t page = *cursor;
		if (!gen[page])
			continue; /* never written */
		const volatile uint32_t *p = (const volatile uint32_t *)(REGION_BASE + page * PAGE);
		uint32_t v = value_of(page);
		for (uint32_t i = 0; i < WORDS; i++)
			if (p[i] != v) {
				bad++;
				break;
			}
	}
	return bad;
}

void kmain(uint32_t *mbi)
{
	uint32_t mib = 64, rate = 0, fill = 0, report = 1000, max = 0, corrupt = 0;
	serial_init();
	if (mbi[0] & 4) {
		for (const char *c = (const char *)mbi[4]; *c; c++) {
			if (c[0] != ' ' && c != (const char *)mbi[4] && c[-1] != ' ')
				continue;
			if (starts(c, "mib=")) mib = parse_num(c + 4);
			if (starts(c, "rate=")) { rate = parse_num(c + 5); max = starts(c + 5, "max"); }
			if (starts(c, "fill=")) fill = parse_num(c + 5);
			if (starts(c, "report=")) report = parse_num(c + 7);
			if (starts(c, "corrupt=")) corrupt = parse_num(c + 8);
		}
	}
	uint32_t ram_mib = (mbi[0] & 1) ? (mbi[2] >> 10) + 1 : 128;
	if (mib + 5 > ram_mib)
		mib = ram_mib > 5 ? ram_mib - 5 : 1;
	uint32_t pages = mib * 256;
	if (pages > MAX_PAGES)
		pages = MAX_PAGES;
	if (!report)
		report = 1000;
	interrupts_init();
	puts_("guest: mib="); putu(mib); puts_(" rate="); if (max) puts_("max"); else putu(rate);
	puts_(" fill="); putu(fill); puts_(" pages="); putu(pages); puts_("\n");
	if (fill)
		for (uint32_t i = 0; i < pages; i++)
			write_page(i);
	if (corrupt && gen[0])
		((volatile uint32_t *)REGION_BASE)[7] ^= 1;
	/* a fixed guest-physical address; the empty asm keeps GCC from
	 * treating it as a pointer into nothing */
	volatile uint32_t *hb;
	__asm__("" : "=r"(hb) : "0"(0x500));
	*hb = 0;
	uint32_t next = 0, budget = 0, dirtied = 0, dirtied_period = 0, last_report = ticks;
	uint32_t cursor = 0, pass_bad = 0, last_pass_bad = 0, total_bad = 0, per_tick = pages / report + 1;
	for (;;) {
		if (max) {
			for (int k = 0; k < 16; k++, dirtied++, dirtied_period++)
				write_page(next++ % pages);
			if (tick_pending())
				wait_tick();
		} else {
			wait_tick();
			/* rate MiB/s = rate * 256 pages per 1000 ticks */
			for (budget += rate * 256; budget >= 1000; budget -= 1000, dirtied++, dirtied_period++)
				write_page(next++ % pages);
		}
		pass_bad += verify_some(&cursor, per_tick, pages);
		if (cursor >= pages) {
			total_bad += pass_bad;
			last_pass_bad = pass_bad;
			pass_bad = 0;
			cursor = 0;
		}
		if (ticks - last_report >= report) {
			uint32_t ms = ticks - last_report;
			last_report = ticks;
			(*hb)++;
			puts_("hb="); putu(*hb);
			puts_(" t_ms="); putu(ticks);
			puts_(" dirtied_MiB="); putu(dirtied / 256);
			puts_(" rate_MiBps="); putu(dirtied_period / 256 * 1000 / ms);
			puts_(" verify_err="); putu(last_pass_bad);
			puts_(" verify_err_total="); putu(total_bad);
			puts_(" pages="); putu(pages);
			puts_("\n");
			dirtied_period = 0;
		}
	}
}
