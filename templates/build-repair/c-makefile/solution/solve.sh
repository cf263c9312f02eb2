# Oracle for build-repair/c-makefile: run in /workspace by the agent's shell.
# Replaces the Makefile with one that keeps the include paths out of CFLAGS, links libraries
# after the objects, tracks header dependencies (-MMD -MP), generates build/version.h from
# VERSION before main.c compiles, fails `make check` with the tests, honours PREFIX and
# DESTDIR, and cleans everything under build/.
cd /workspace &&
cat > Makefile <<'MAKEFILE' &&
# tally: summary statistics of a column of numbers (see README.md).
#   make               build build/tally and build/libtally.a
#   make check         build and run the unit tests
#   make install       install into $(DESTDIR)$(PREFIX)
#   make clean         remove everything the build made
CC ?= cc
AR ?= ar
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
DESTDIR ?=

WARNINGS := -Wall -Wextra -std=c11
ALL_CPPFLAGS = -Iinclude -Ibuild $(CPPFLAGS)
LDLIBS += -lm

LIB_SRCS := $(wildcard src/lib/*.c)
LIB_OBJS := $(LIB_SRCS:src/%.c=build/%.o)
CLI_OBJS := build/cli/main.o
TEST_OBJS := build/tests/test_tally.o
DEPS := $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(TEST_OBJS:.o=.d)

all: build/tally build/libtally.a

build/libtally.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

build/tally: $(CLI_OBJS) build/libtally.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/test_tally: $(TEST_OBJS) build/libtally.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(WARNINGS) $(CFLAGS) -MMD -MP -c -o $@ $<

build/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(WARNINGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# main.c includes the generated version.h.
$(CLI_OBJS): build/version.h

build/version.h: VERSION
	@mkdir -p $(@D)
	printf '#define TALLY_VERSION "%s"\n' "$$(cat VERSION)" > $@

check: build/test_tally
	./build/test_tally

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/tally
	install -m 755 build/tally $(DESTDIR)$(PREFIX)/bin/tally
	install -m 644 build/libtally.a $(DESTDIR)$(PREFIX)/lib/libtally.a
	install -m 644 include/tally/tally.h include/tally/config.h $(DESTDIR)$(PREFIX)/include/tally/

clean:
	rm -rf build

.PHONY: all check install clean

-include $(DEPS)
MAKEFILE
make clean && make -j2 && make check
