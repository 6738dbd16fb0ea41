import type { Handlers } from '../context'

export const jobHandlers = {
  cancelJob: ({ jobId }, s) => ({ cancelled: s.jobs.cancel(jobId) })
} satisfies Partial<Handlers>
