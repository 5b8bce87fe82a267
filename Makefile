# mignet: one build for the CNI plugin, vifcache and netprep.
#   make            build everything into $(BUILD)
#   make check      deps + sanitizer build + unit and integration suites
#   make demo       the main job (see README)
# Variables: PREFIX, DESTDIR, CNI_BIN_DIR, BUILD, SAN=1 (ASan+UBSan).

PREFIX      ?= /usr/local
CNI_BIN_DIR ?= /opt/cni/bin
BUILD       ?= build
CC          ?= gcc
PKG_CONFIG  ?= pkg-config

PKGS := libmnl libcjson libvirt yaml-0.1 libxml-2.0

# Debian packages needed to build, test, benchmark, fuzz and run the demo.
DEB_PKGS := build-essential pkg-config \
	libmnl-dev libcjson-dev libvirt-dev libcmocka-dev libyaml-dev libxml2-dev iproute2 jq \
	containernetworking-plugins libvirt-daemon libvirt-daemon-system \
	libvirt-clients qemu-system-x86 qemu-utils clang libclang-rt-14-dev python3-yaml \
	golang-go etcd-server etcd-client libcurl4-openssl-dev

CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	-fno-strict-aliasing -D_FORTIFY_SOURCE=2 -MMD -MP \
	-Inetprep/core -Inetprep -Inetprep/node -Inetprep/migrate -Inetprep/cli -Ivifcache -Ivifcache/cli -Icni-plugin \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) libcurl 2>/dev/null)
# libcurl is not linked: the etcd backend dlopen()s it (netprep/store/curl_dl.h)
LDLIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

ifeq ($(SAN),1)
override CFLAGS := $(filter-out -O2 -D_FORTIFY_SOURCE=2,$(CFLAGS)) -O1 \
	-fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
endif

CORE_SRC    := $(wildcard netprep/core/*.c)
# the cluster store (netprep/store/): linked by all three programs with the core
STORE_SRC   := $(wildcard netprep/store/*.c)
# netprep by part: node preparation and inventory, the migration runner,
# and the CLI (linked into the program only)
NETPREP_SRC := $(wildcard netprep/node/*.c netprep/migrate/*.c)
NETPREP_CLI := $(wildcard netprep/cli/*.c)
VIFCACHE_SRC:= $(wildcard vifcache/*.c)
VIFCACHE_CLI:= $(wildcard vifcache/cli/*.c)
CNI_SRC     := $(filter-out cni-plugin/main.c,$(wildcard cni-plugin/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

CORE_LIB := $(BUILD)/libnpcore.a
NETPREP_LIB := $(BUILD)/libnetprep.a
VIFCACHE_LIB := $(BUILD)/libvifcache.a
CNI_LIB  := $(BUILD)/libmignetcni.a
NETPREP  := $(BUILD)/netprep
VIFCACHE := $(BUILD)/vifcache
CNI      := $(BUILD)/mignet-cni
PROGRAMS := $(NETPREP) $(VIFCACHE) $(CNI)
CNI_NAMES := mignet-macvlan mignet-bridge mignet-sriov mignet-ipam

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
INTEG_SRC := $(wildcard tests/integration/test_*.c)
TESTLIB_SRC := $(wildcard tests/lib/*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
INTEG_BINS := $(patsubst tests/integration/%.c,$(BUILD)/tests/integration/%,$(INTEG_SRC))
TEST_LIBS  := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

.PHONY: all deps check unit integration tests demo bench fuzz install clean

all: $(PROGRAMS) $(addprefix $(BUILD)/,$(CNI_NAMES))

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(CORE_LIB): $(call obj,$(CORE_SRC) $(STORE_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(NETPREP_LIB): $(call obj,$(NETPREP_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(NETPREP): $(call obj,$(NETPREP_CLI)) $(NETPREP_LIB) $(VIFCACHE_LIB) $(CORE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(VIFCACHE_LIB): $(call obj,$(VIFCACHE_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(VIFCACHE): $(call obj,$(VIFCACHE_CLI)) $(VIFCACHE_LIB) $(CORE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# the plugin's library: its pure parts are unit-tested
$(CNI_LIB): $(call obj,$(CNI_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(CNI): $(call obj,cni-plugin/main.c) $(CNI_LIB) $(VIFCACHE_LIB) $(CORE_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# One binary; the kind comes from the config's "type", the name is cosmetic.
$(addprefix $(BUILD)/,$(CNI_NAMES)): $(CNI)
	ln -sf mignet-cni $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(call obj,$(TESTLIB_SRC)) $(NETPREP_LIB) $(CNI_LIB) $(VIFCACHE_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/lib $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS) $(TEST_LIBS)

$(BUILD)/tests/integration/%: tests/integration/%.c $(call obj,$(TESTLIB_SRC)) $(NETPREP_LIB) $(CNI_LIB) $(VIFCACHE_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/lib $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS) $(TEST_LIBS)

# The migration lab's test guest: a multiboot kernel of our own (lab.md).
GUEST := $(BUILD)/guest.elf
GUEST_CFLAGS := -m32 -ffreestanding -fno-pic -fno-stack-protector -O2 -Wall -Wextra -Werror

$(GUEST): tests/e2e/guest/boot.S tests/e2e/guest/guest.c tests/e2e/guest/link.ld
	@mkdir -p $(BUILD)/obj/guest
	gcc -m32 -c -o $(BUILD)/obj/guest/boot.o tests/e2e/guest/boot.S
	gcc $(GUEST_CFLAGS) -c -o $(BUILD)/obj/guest/guest.o tests/e2e/guest/guest.c
	ld -m elf_i386 -z noexecstack --no-warn-rwx-segments -T tests/e2e/guest/link.ld -o $@ \
		$(BUILD)/obj/guest/boot.o $(BUILD)/obj/guest/guest.o

# LD_PRELOAD shim of the simulated version-skew test; never sanitized (it
# is loaded before the sanitizer runtime).
SKEW_SHIM := $(BUILD)/tests/libskew.so

$(SKEW_SHIM): tests/e2e/skew_preload.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -shared -fPIC -o $@ $< -ldl -lvirt

# The lab's libvirtd runs under it, so exited QEMUs are reaped at once.
LAB_REAPER := $(BUILD)/tests/lab_reaper

$(LAB_REAPER): tests/e2e/lab_reaper.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

LAB := $(GUEST) $(LAB_REAPER)

# make bench's spawner: times each plugin as kubelet would run it.
CNI_TIMER := $(BUILD)/tests/cni_timer

$(CNI_TIMER): tests/bench/cni_timer.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

# test_go_interop.sh's C side: vc_kubevirt_parse on the files Go writes.
INTEROP_BINS := $(BUILD)/tests/interop/kvread

$(INTEROP_BINS): $(BUILD)/tests/interop/%: tests/interop/%.c $(VIFCACHE_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.a,$^) $(LDLIBS)

# test_store_etcd.sh's client: the store's operations from the command line
STORECTL := $(BUILD)/tests/storectl

$(STORECTL): tests/store/storectl.c $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.a,$^) $(LDLIBS)

tests: all $(UNIT_BINS) $(INTEG_BINS) $(LAB) $(SKEW_SHIM) $(INTEROP_BINS) $(STORECTL)

deps:
	@tests/deps.sh $(DEB_PKGS)

# The suites run from a sanitizer build of their own, so a plain `make`
# tree is never mixed with instrumented objects.
check: deps
	$(MAKE) BUILD=build/san SAN=1 tests
	$(MAKE) -j2 $(FUZZ_BINS)
	@tests/run-fuzz.sh 5 $(FUZZ_BINS)
	@tests/run-suites.sh build/san

unit: tests
	@tests/run-suites.sh $(BUILD) unit

integration: tests
	@tests/run-suites.sh $(BUILD) integration

demo: deps all $(LAB)
	@tests/e2e/demo.sh $(BUILD)

BENCH_ITERATIONS ?= 100

bench: deps all $(LAB) $(CNI_TIMER)
	@tests/bench/cni_bench.sh $(BUILD) $(BENCH_ITERATIONS)
	@tests/bench/vifcache_bench.sh $(BUILD)
	@tests/bench/migrate_bench.sh $(BUILD)

# libFuzzer targets, built with clang against the pure core sources.
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
FUZZ_CORE    := $(CORE_SRC) $(VIFCACHE_SRC)
FUZZ_COMMON  := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Inetprep/core -Inetprep -Inetprep/node -Inetprep/migrate -Inetprep/store \
	-Ivifcache -Icni-plugin \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) -fno-sanitize-recover=undefined
FUZZ_LIBS    := $(shell $(PKG_CONFIG) --libs libmnl libcjson yaml-0.1 libxml-2.0 2>/dev/null)
# The core is compiled once (instrumented, without libFuzzer's main) and
# each target links it, instead of every target compiling it again.
FUZZ_CORE_LIB := $(FUZZ_BUILD)/libfuzzcore.a

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_COMMON) -MMD -MP -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

$(FUZZ_CORE_LIB): $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_CORE))
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_CORE_LIB)
	@mkdir -p $(dir $@) $(FUZZ_BUILD)/corpus/$*
	clang $(FUZZ_COMMON) -fsanitize=fuzzer,address,undefined -o $@ $(filter %.c,$^) $(FUZZ_CORE_LIB) $(FUZZ_LIBS)

# the parsers of netprep and the plugin, beside the core
$(FUZZ_BUILD)/fuzz_nad: netprep/node/nad.c netprep/node/yaml_doc.c
$(FUZZ_BUILD)/fuzz_nodeconf: netprep/node/nodeconf.c
$(FUZZ_BUILD)/fuzz_inventory: netprep/node/inventory_doc.c
$(FUZZ_BUILD)/fuzz_cni_conf: cni-plugin/conf.c cni-plugin/launcher_name.c cni-plugin/skel.c cni-plugin/result.c
$(FUZZ_BUILD)/fuzz_migconf: netprep/migrate/migrate_opts.c
$(FUZZ_BUILD)/fuzz_etcd: netprep/store/etcd_proto.c

fuzz: deps $(FUZZ_BINS)
	@tests/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(CNI_BIN_DIR)
	install -m 0755 $(NETPREP) $(VIFCACHE) $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(CNI) $(DESTDIR)$(CNI_BIN_DIR)/mignet-cni
	for n in $(CNI_NAMES); do ln -sf mignet-cni $(DESTDIR)$(CNI_BIN_DIR)/$$n; done

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
