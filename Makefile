# lanky -- build, test, benchmark and report.
#
#   make          build/lanky
#   make check    unit and CLI tests, then again under ASan + UBSan
#   make bench    benchmarks (speed and memory targets; not tests)
#   make report   every sweep on every profile -> reports/out/
#   make clean    remove all build output
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
PKG_CFLAGS = $(shell pkg-config --cflags hwloc inih libcjson)
PKG_LIBS = $(shell pkg-config --libs hwloc inih libcjson)
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

.PHONY: all check test-run bench report clean deps
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

clean:
	rm -rf build $(BUILD) reports/out

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
