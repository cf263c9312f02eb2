//! The resource caps of one plugin store: linear memory summed over all of the component's
//! memories, table elements summed over all of its tables, and the number of instances,
//! memories and tables. A growth past a cap traps the guest at once (no `-1` for the guest
//! to ignore) and is remembered, so the episode's termination can name the cap instead of
//! a bare trap. Spreading growth over many memories or tables gains nothing: the caps are
//! totals. It must never allow growth past a cap, and never panic on guest-chosen sizes.

use wasmtime::ResourceLimiter;

/// Most core instances a component may create (a Rust scaffold creates a handful; a
/// componentize-py one a few dozen).
pub const MAX_INSTANCES: usize = 64;
/// Most linear memories a component may create.
pub const MAX_MEMORIES: usize = 16;
/// Most tables a component may create.
pub const MAX_TABLES: usize = 64;
/// Most table elements, summed over all tables (8 bytes of host memory each).
pub const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// Which cap a guest ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    /// Linear memory: the cap and the total the guest asked for, in bytes.
    Memory { cap: usize, requested: usize },
    /// Table elements: the cap and the total the guest asked for.
    Table { cap: usize, requested: usize },
}

impl LimitHit {
    /// The termination reason (`memory_limit: ...`, `table_limit: ...`).
    pub fn reason(&self) -> String {
        match *self {
            LimitHit::Memory { cap, requested } => format!(
                "memory_limit: the plugin's linear memory reached its cap of {} (it asked for {} in all)",
                mib(cap),
                mib(requested)
            ),
            LimitHit::Table { cap, requested } => format!(
                "table_limit: the plugin's tables reached their cap of {cap} elements (it asked for {requested} in all)"
            ),
        }
    }
}

fn mib(bytes: usize) -> String {
    let m = bytes as f64 / (1024.0 * 1024.0);
    if m.fract() == 0.0 {
        format!("{m:.0} MiB")
    } else {
        format!("{m:.1} MiB")
    }
}

/// The error a refused growth traps with; the flag in [`EpisodeLimiter::hit`] is what
/// the host reads afterwards.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.reason())]
pub struct LimitExceeded(pub LimitHit);

/// One capped total (bytes of linear memory, or table elements) over all of a store's
/// memories or tables.
#[derive(Debug)]
struct Pool {
    cap: usize,
    total: usize,
    /// Granted by the last `growing` call, given back if the growth then fails.
    pending: usize,
}

impl Pool {
    fn new(cap: usize) -> Pool {
        Pool {
            cap,
            total: 0,
            pending: 0,
        }
    }

    /// Books a growth from `current` to `desired`: `Err(total asked for)` past the cap,
    /// `Ok(false)` past the item's own declared maximum (an ordinary wasm failure, -1).
    fn growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, usize> {
        let delta = desired.saturating_sub(current);
        let requested = self.total.saturating_add(delta);
        if requested > self.cap {
            return Err(requested);
        }
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        self.total = requested;
        self.pending = delta;
        Ok(true)
    }

    /// Permitted by [`Pool::growing`] but refused by the engine (for example no address
    /// space left): give the amount back and let the grow instruction return -1.
    fn grow_failed(&mut self) {
        self.total = self.total.saturating_sub(self.pending);
        self.pending = 0;
    }
}

/// Caps one store's memories and tables, in total.
#[derive(Debug)]
pub struct EpisodeLimiter {
    memory: Pool,
    tables: Pool,
    hit: Option<LimitHit>,
}

impl EpisodeLimiter {
    pub fn new(memory_cap: usize, table_cap: usize) -> EpisodeLimiter {
        EpisodeLimiter {
            memory: Pool::new(memory_cap),
            tables: Pool::new(table_cap),
            hit: None,
        }
    }

    /// The first cap the guest ran into, if any.
    pub fn hit(&self) -> Option<LimitHit> {
        self.hit
    }

    /// Linear memory in use, in bytes, over all memories.
    #[cfg(test)]
    pub fn memory_bytes(&self) -> usize {
        self.memory.total
    }

    /// Remembers the first cap hit and turns it into the trap.
    fn refuse(&mut self, hit: LimitHit) -> wasmtime::Result<bool> {
        self.hit.get_or_insert(hit);
        Err(LimitExceeded(hit).into())
    }
}

impl ResourceLimiter for EpisodeLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        match self.memory.growing(current, desired, maximum) {
            Ok(granted) => Ok(granted),
            Err(requested) => self.refuse(LimitHit::Memory {
                cap: self.memory.cap,
                requested,
            }),
        }
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.memory.grow_failed();
        tracing::debug!(error = %error, "a plugin's memory growth failed");
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        match self.tables.growing(current, desired, maximum) {
            Ok(granted) => Ok(granted),
            Err(requested) => self.refuse(LimitHit::Table {
                cap: self.tables.cap,
                requested,
            }),
        }
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.tables.grow_failed();
        tracing::debug!(error = %error, "a plugin's table growth failed");
        Ok(())
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

#[cfg(test)]
mod tests {
    //! Rust guests cannot use several memories or `table.grow`, so these hand-written
    //! modules are how the caps on spread-out growth are exercised.
    use super::*;
    use wasmtime::{Config, Engine, Instance, Module, Store};

    fn engine() -> Engine {
        let mut config = Config::new();
        config.wasm_multi_memory(true);
        Engine::new(&config).expect("engine")
    }

    /// Runs export `run` of `wat` in a store capped at `memory_cap` bytes and `table_cap`
    /// elements; returns the call's error text (if any) and the limiter.
    fn run(wat: &str, memory_cap: usize, table_cap: usize) -> (Option<String>, EpisodeLimiter) {
        let engine = engine();
        let module = Module::new(&engine, wat).expect("module");
        let mut store = Store::new(&engine, EpisodeLimiter::new(memory_cap, table_cap));
        store.limiter(|l| l as &mut dyn ResourceLimiter);
        let result = Instance::new(&mut store, &module, &[]).and_then(|instance| {
            let f = instance.get_typed_func::<(), ()>(&mut store, "run")?;
            f.call(&mut store, ())
        });
        let err = result.err().map(|e| format!("{e:?}"));
        (err, store.into_data())
    }

    /// Four memories of one page each, grown in turn one page at a time, forever.
    const FOUR_MEMORIES: &str = r#"
        (module
          (memory $a 1) (memory $b 1) (memory $c 1) (memory $d 1)
          (func (export "run")
            (loop $l
              (drop (memory.grow $a (i32.const 1)))
              (drop (memory.grow $b (i32.const 1)))
              (drop (memory.grow $c (i32.const 1)))
              (drop (memory.grow $d (i32.const 1)))
              (br $l))))"#;

    #[test]
    fn growth_spread_over_memories_is_capped_in_total() {
        let cap = 4 << 20;
        let (err, limiter) = run(FOUR_MEMORIES, cap, MAX_TABLE_ELEMENTS);
        let err = err.expect("the loop must be stopped");
        assert!(err.contains("memory_limit"), "{err}");
        assert!(limiter.memory_bytes() <= cap);
        // Each memory alone stayed far below the cap: only the total was over.
        assert!(
            limiter.memory_bytes() > cap - 4 * 65536,
            "{}",
            limiter.memory_bytes()
        );
        match limiter.hit() {
            Some(LimitHit::Memory { cap: c, requested }) => {
                assert_eq!(c, cap);
                assert_eq!(requested, cap + 65536);
            }
            other => panic!("wrong hit {other:?}"),
        }
        assert_eq!(
            limiter.hit().map(|h| h.reason()).as_deref(),
            Some(
                "memory_limit: the plugin's linear memory reached its cap of 4 MiB (it asked for 4.1 MiB in all)"
            )
        );
    }

    /// Two tables grown by 1000 elements at a time, forever.
    const TWO_TABLES: &str = r#"
        (module
          (table $t 0 funcref) (table $u 0 funcref)
          (func (export "run")
            (loop $l
              (drop (table.grow $t (ref.null func) (i32.const 1000)))
              (drop (table.grow $u (ref.null func) (i32.const 1000)))
              (br $l))))"#;

    #[test]
    fn growth_spread_over_tables_is_capped_in_total() {
        let (err, limiter) = run(TWO_TABLES, 1 << 20, 10_500);
        let err = err.expect("the loop must be stopped");
        assert!(err.contains("table_limit"), "{err}");
        assert_eq!(
            limiter.hit(),
            Some(LimitHit::Table {
                cap: 10_500,
                requested: 11_000
            })
        );
    }

    #[test]
    fn too_many_memories_fail_instantiation() {
        let memories: String = (0..=MAX_MEMORIES).map(|_| "(memory 1)").collect();
        let wat = format!("(module {memories} (func (export \"run\")))");
        let (err, _) = run(&wat, 1 << 30, MAX_TABLE_ELEMENTS);
        let err = err.expect("instantiation must fail");
        assert!(err.contains("memory count too high"), "{err}");
    }

    #[test]
    fn a_declared_maximum_is_an_ordinary_failure() {
        // memory.grow past the memory's own maximum returns -1; the guest carries on.
        let wat = r#"(module (memory 1 2)
            (func (export "run")
              (if (i32.ne (memory.grow (i32.const 5)) (i32.const -1)) (then unreachable))))"#;
        let (err, limiter) = run(wat, 1 << 30, MAX_TABLE_ELEMENTS);
        assert_eq!(err, None);
        assert_eq!(limiter.hit(), None);
        assert_eq!(limiter.memory_bytes(), 65536);
    }
}
