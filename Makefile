# lanky -- build, test, benchmark and report.
#
#   make          build/lanky
#   make check    unit and CLI tests, then again under ASan + UBSan
#   make bench    benchmarks (speed and memory targets; not tests)
#   make report   every sweep on every profile -> reports/out/
#   make clean    remove all build output
#   make install  PREFIX (default /usr/local), DESTDIR: bin/lanky, share/lanky,
#                 man page lanky(1); make uninstall removes them
#   make dist     a release tarball with a VERSION file
#
# Missing Debian packages are installed first by scripts/deps.sh.
# BUILD names the output folder, so several builds can live side by side.

BUILD ?= build
CC ?= gcc
ifeq ($(CC),cc)
CC := gcc
endif
SAN ?= 0

PKGS := check hwloc inih libcjson
CFLAGS_BASE := -std=gnu11 -D_GNU_SOURCE -g -Wall -Wextra -Werror -MMD -MP -pthread
OPT := -O2
ifeq ($(SAN),1)
OPT := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
       -fno-sanitize-recover=all
endif
CFLAGS += $(CFLAGS_BASE) $(OPT)
LDLIBS := -lcsv -lm -pthread
PKG_CFLAGS = $(shell pkg-config --cflags hwloc inih libcjson libcmark-gfm)
PKG_LIBS = $(shell pkg-config --libs hwloc inih libcjson libcmark-gfm)
CHECK_LIBS = $(shell pkg-config --libs check)

LIB_SRC := $(wildcard common/*.c arch/*.c ref/*.c sim/*.c host/*.c reports/*.c) \
           $(filter-out cli/main.c,$(wildcard cli/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_UTIL := $(BUILD)/obj/tests/testutil.o
BENCH_SRC := $(wildcard tests/bench_*.c)
BENCH_BIN := $(BENCH_SRC:tests/%.c=$(BUILD)/tests/%)
DEPS_OK := $(BUILD)/.deps-ok

.PHONY: all check test-run bench report clean deps install uninstall dist FORCE
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BUILD)/lanky

deps: $(DEPS_OK)
$(DEPS_OK): scripts/deps.sh
	@mkdir -p $(BUILD)
	@sh scripts/deps.sh
	@touch $@

$(BUILD)/obj/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/liblanky.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The version: a release tarball's VERSION file, else `git describe`.
# version.txt changes only when the version does, so main.o is rebuilt
# then and only then.
VERSION := $(shell cat VERSION 2>/dev/null || git describe --always --dirty 2>/dev/null || echo unknown)
$(BUILD)/version.txt: FORCE | $(DEPS_OK)
	@mkdir -p $(dir $@)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' >$@
$(BUILD)/obj/cli/main.o: $(BUILD)/version.txt
$(BUILD)/obj/cli/main.o: CFLAGS += -DLK_VERSION='"$(VERSION)"'

$(BUILD)/lanky: $(BUILD)/obj/cli/main.o $(BUILD)/liblanky.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_UTIL) $(BUILD)/liblanky.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(CHECK_LIBS) $(PKG_LIBS) $(LDLIBS)

# Run every test program against this build's binary; stop at the first
# failing suite so the failure is the last thing on screen.
test-run: $(BUILD)/lanky $(TEST_BIN)
	@for t in $(TEST_BIN); do \
	    echo "== $$t"; \
	    LANKY_BIN=$(BUILD)/lanky LANKY_ROOT=$(CURDIR) $$t || exit 1; \
	done

# The suites, lanky's cache model against valgrind's cachegrind on the
# reference transformer's real addresses, then the suites again under
# the sanitizers.
check: $(DEPS_OK)
	$(MAKE) BUILD=$(BUILD) test-run
	sh sim/cachegrind-check.sh $(BUILD)/lanky
	sh tests/install-check.sh $(BUILD)
	sh tests/html-check.sh $(BUILD)
	$(MAKE) BUILD=$(BUILD)/asan SAN=1 test-run
	@echo "make check: all suites passed (plain and ASan+UBSan builds)"

# Every benchmark runs even when one misses its target; the exit status
# says whether any did.
bench: $(BUILD)/lanky $(BENCH_BIN)
	@st=0; for b in $(BENCH_BIN); do \
	    echo "== $$b"; \
	    LANKY_BIN=$(BUILD)/lanky LANKY_ROOT=$(CURDIR) $$b || st=1; \
	done; exit $$st

report: $(BUILD)/lanky
	@sh reports/make-report.sh $(BUILD)/lanky $(if $(QUICK),quick,full)

# Installed layout: the binary finds PREFIX/share/lanky/<folder> as it
# finds the project's folders (common/project.h). The man page is made
# from the commands' own --help texts (scripts/man.sh, help2man).
PREFIX ?= /usr/local
SHARE := $(DESTDIR)$(PREFIX)/share/lanky
$(BUILD)/lanky.1: $(BUILD)/lanky scripts/man.sh
	sh scripts/man.sh $(BUILD)/lanky >$@.tmp && mv $@.tmp $@

install: $(BUILD)/lanky $(BUILD)/lanky.1
	install -D -m 755 $(BUILD)/lanky $(DESTDIR)$(PREFIX)/bin/lanky
	install -D -m 644 $(BUILD)/lanky.1 $(DESTDIR)$(PREFIX)/share/man/man1/lanky.1
	install -d $(SHARE)/hw-profiles $(SHARE)/sweeps $(SHARE)/reports/paper-data
	install -m 644 $(filter-out hw-profiles/host.ini,$(wildcard hw-profiles/*.ini)) \
	    hw-profiles/*.md $(SHARE)/hw-profiles/
	install -m 644 sweeps/*.csv sweeps/*.md $(SHARE)/sweeps/
	install -m 644 reports/paper-data/* $(SHARE)/reports/paper-data/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/lanky $(DESTDIR)$(PREFIX)/share/man/man1/lanky.1
	rm -rf $(SHARE)

dist:
	@mkdir -p $(BUILD)
	git archive --prefix=lanky-$(VERSION)/ -o $(BUILD)/lanky-$(VERSION).tar HEAD
	echo '$(VERSION)' >$(BUILD)/VERSION
	tar -rf $(BUILD)/lanky-$(VERSION).tar --transform 's,^,lanky-$(VERSION)/,' \
	    -C $(BUILD) VERSION
	gzip -f $(BUILD)/lanky-$(VERSION).tar
	@echo "$(BUILD)/lanky-$(VERSION).tar.gz"

clean:
	rm -rf build $(BUILD) reports/out

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
