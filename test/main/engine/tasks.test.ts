// The engine task table: names, arguments, results and events are typed from the handlers (tsc
// checks the expectTypeOf lines and the @ts-expect-error ones when `npm run typecheck` runs), and
// a worker answers a name it does not know with a clear error instead of hanging.
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest'
import type { BackboneInfo, EngineInfo, TrainReport } from '../../../src/shared/types'
import { EnginePool, type RunOptions } from '../../../src/main/engine/pool'
import type { TaskArgs, TaskEvent, TaskName, TaskResult } from '../../../src/main/engine/protocol'
import type { BackboneDescription } from '../../../src/main/engine/tasks/describe'
import type { ShardArgs, ShardResult } from '../../../src/main/precompute/shard'
import type { TrainArgs, TrainEvent } from '../../../src/main/training/runPlan'

describe('the engine task table (types)', () => {
  it('derives every task from its handler', () => {
    expectTypeOf<TaskArgs<'describe'>>().toEqualTypeOf<{ backbone: string }>()
    expectTypeOf<TaskResult<'describe'>>().toEqualTypeOf<BackboneDescription>()
    expectTypeOf<TaskArgs<'precompute'>>().toEqualTypeOf<ShardArgs>()
    expectTypeOf<TaskResult<'precompute'>>().toEqualTypeOf<ShardResult>()
    expectTypeOf<TaskArgs<'train'>>().toEqualTypeOf<TrainArgs>()
    expectTypeOf<TaskResult<'train'>>().toEqualTypeOf<TrainReport>()
    expectTypeOf<TaskEvent<'train'>>().toEqualTypeOf<TrainEvent>()
    expectTypeOf<TaskEvent<'resume'>>().toEqualTypeOf<TrainEvent>()
    expectTypeOf<TaskEvent<'describe'>>().toEqualTypeOf<never>()
    expectTypeOf<TaskResult<'engineInfo'>>().toEqualTypeOf<Omit<EngineInfo, 'preference'>>()
    expectTypeOf<TaskResult<'listBackbones'>>().toEqualTypeOf<BackboneInfo[]>()
    expectTypeOf<'train'>().toExtend<TaskName>()
  })

  it('types EnginePool.run from the table', () => {
    const pool = null as unknown as EnginePool
    const typed = () => {
      expectTypeOf(pool.run('describe', { backbone: 'x' })).toEqualTypeOf<Promise<BackboneDescription>>()
      expectTypeOf(pool.runEach('precompute', [])).toEqualTypeOf<Promise<ShardResult[]>>()
      // @ts-expect-error a task that is not in the table
      void pool.run('noSuchTask', {})
      // @ts-expect-error arguments of another task
      void pool.run('describe', { projectDir: '/p' })
      const opts: RunOptions<TrainEvent> = { onEvent: (e) => expectTypeOf(e).toEqualTypeOf<TrainEvent>() }
      void pool.run('train', null as unknown as TrainArgs, opts)
      // @ts-expect-error train's events are TrainEvents, not numbers
      void pool.run('train', null as unknown as TrainArgs, { onEvent: (e: number) => e })
    }
    expect(typed).toBeTypeOf('function')
  })
})

describe('an engine worker', () => {
  const pool = new EnginePool({ backend: 'cpu' }, 1)
  afterAll(() => pool.close())

  it('refuses a task name it does not know, and keeps working', async () => {
    await expect(pool.run('noSuchTask' as TaskName, {} as never)).rejects.toThrow('unknown engine task noSuchTask')
    await expect(pool.run('toString' as TaskName, {} as never)).rejects.toThrow('unknown engine task toString')
    await expect(pool.run('engineInfo', {})).resolves.toMatchObject({ backend: 'cpu' })
  })
})
