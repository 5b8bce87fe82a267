/* Multiboot (v1) entry of the lab's test guest; 32-bit protected mode,
 * flat segments as the loader left them. */
	.set MB_MAGIC, 0x1BADB002
	.set MB_FLAGS, 0x00000003          /* page-aligned modules, memory info */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .bss
	.align 16
stack_bottom:
	.skip 65536
stack_top:

	.section .text
	.global _start
_start:
	cli
	mov $stack_top, %esp
	push %ebx                          /* multiboot information */
	call kmain
1:	cli
	hlt
	jmp 1b

/* void wait_tick(void): interrupts are enabled only here. The timer
 * handler does not iret (KVM's PVM mode cannot emulate a 32-bit iret):
 * it drops its frame and returns to wait_tick's caller with IF clear. */
	.global wait_tick
wait_tick:
	sti
	hlt
	cli
	ret

	.global timer_isr
timer_isr:
	add $12, %esp                      /* eip, cs, eflags of the interrupted hlt */
	push %eax
	mov $0x20, %al
	out %al, $0x20                     /* end of interrupt */
	pop %eax
	incl ticks
	ret

	.global fault_isr
fault_isr:
	cli
	hlt
	jmp fault_isr
	.section .note.GNU-stack, "", @progbits
