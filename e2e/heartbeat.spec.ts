// #9 §8 / #12 item 10: a studio that stops answering (its event loop blocked, as a recursive
// mkdir under /proc did) kept its socket open, so the status dot still said Connected. The page
// now pings the studio and says "Not responding" when a ping goes unanswered. The studio is
// stopped for real here (SIGSTOP: the socket stays open, nothing answers), then resumed.
// Also: a project under /proc is refused with the studio's words and the studio goes on.
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { repoRoot, workDir } from './helpers'

let child: ChildProcess | undefined

function startServe(): Promise<string> {
  child = spawn(process.execPath, [path.join(repoRoot, 'bin/thaw'), 'serve', '--port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, THAW_CONFIG_DIR: workDir('heartbeat-config') },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /(http:\/\/\S+\?token=\w+)/.exec(output)
      if (match) resolve(match[1]!)
    }
    child!.stderr!.on('data', onData)
    child!.stdout!.on('data', onData)
    child!.once('exit', (code) => reject(new Error(`thaw serve exited with ${code}:\n${output}`)))
  })
}

test.afterEach(() => {
  if (child && child.exitCode === null) {
    child.kill('SIGCONT')
    child.kill('SIGKILL')
  }
})

test('the status says Not responding while the studio is stopped, Connected once it answers again', async ({ page }) => {
  const url = await startServe()
  await page.goto(url)
  const status = page.getByRole('status', { name: /^Connection:/ })
  await expect(status).toHaveAccessibleName('Connection: Connected')
  // the token left the address after the first load (the session cookie carries it)
  expect(page.url()).not.toContain('token')

  await test.step('a project folder under /proc is refused, and the studio still answers', async () => {
    await page.getByRole('button', { name: 'Projects', exact: true }).click()
    await page.getByLabel('Folder for the new project').fill('/proc/thaw-e2e')
    await page.getByLabel('Name', { exact: true }).fill('Kernel')
    await page.getByRole('button', { name: 'Create project' }).click()
    await expect(page.getByText(/\/proc\/thaw-e2e is in \/proc, the kernel's system interface, not storage/).first()).toBeVisible()
    await expect(status).toHaveAccessibleName('Connection: Connected')
  })

  await test.step('stopped: Not responding', async () => {
    child!.kill('SIGSTOP')
    await expect(status).toHaveAccessibleName('Connection: Not responding', { timeout: 20_000 })
  })

  await test.step('resumed: Connected', async () => {
    child!.kill('SIGCONT')
    await expect(status).toHaveAccessibleName('Connection: Connected', { timeout: 20_000 })
  })
})
