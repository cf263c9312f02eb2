#!/usr/bin/env python3
"""genlog.py [--lines N] [--clients N] [--crawler-paths N] [--seed S]: writes a synthetic access
log in logstat's input format to stdout."""

import argparse
import random
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--crawler-paths", type=int, default=0,
                    help="add a crawler client that requests this many distinct paths")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    ips = [f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(a.clients)]
    pages = [f"/shop/item/{i}" for i in range(500)] + ["/", "/cart", "/login", "/search?q=tea"]
    out = sys.stdout
    crawled = 0
    for _ in range(a.lines):
        if crawled < a.crawler_paths and rng.random() < 0.5:
            ip, path = "192.0.2.77", f"/archive/{crawled}"
            crawled += 1
        else:
            ip, path = rng.choice(ips), rng.choice(pages)
        status = rng.choice([200] * 20 + [301, 304, 404, 500])
        out.write(f"{ip} {rng.choice(['GET', 'GET', 'POST'])} {path} {status} {int(rng.expovariate(1 / 80))}\n")


if __name__ == "__main__":
    main()
