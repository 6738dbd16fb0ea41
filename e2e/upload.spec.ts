// Browser mode on a remote box: pictures and folders from the laptop are uploaded into the
// project (its uploads folder) and imported, checked as any import checks them.
import fs from 'node:fs'
import path from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { createProject, failOnPageErrors, gridTotal, hymenoptera, openStudio, workDir } from './helpers'

failOnPageErrors()

/** mini/ants (3), mini/bees (3 + a broken one), and a text file beside them */
function miniSet(): string {
  const root = path.join(workDir('upload-source'), 'mini')
  for (const cls of ['ants', 'bees']) {
    fs.mkdirSync(path.join(root, cls), { recursive: true })
    const from = path.join(hymenoptera, 'train', cls)
    for (const name of fs.readdirSync(from).sort().slice(0, 3)) fs.copyFileSync(path.join(from, name), path.join(root, cls, name))
  }
  const jpeg = fs.readFileSync(path.join(hymenoptera, 'train', 'bees', fs.readdirSync(path.join(hymenoptera, 'train', 'bees')).sort()[5]!))
  fs.writeFileSync(path.join(root, 'bees', 'broken.jpg'), jpeg.subarray(0, jpeg.length >> 1))
  fs.writeFileSync(path.join(root, 'notes.txt'), 'where these came from\n')
  return root
}

/** Drops a folder on the library the way a browser hands one over: Files that carry their path
 * inside the folder (picked through a folder input, then put in a DataTransfer). */
async function dropFolder(page: Page, folder: string): Promise<void> {
  await page.evaluate(`(() => { const i = document.createElement('input'); i.type = 'file'; i.webkitdirectory = true; i.id = 'e2e-folder'; i.style.display = 'none'; document.body.append(i) })()`)
  await page.locator('#e2e-folder').setInputFiles(folder)
  const dt = await page.evaluateHandle(`(() => { const dt = new DataTransfer(); for (const f of document.getElementById('e2e-folder').files) dt.items.add(f); return dt })()`)
  await page.getByRole('group', { name: /^Library: drop files or folders/ }).dispatchEvent('drop', { dataTransfer: dt })
}

test('drop a folder onto the library: its pictures are uploaded and imported, bad files refused with their reasons', async ({ page }) => {
  test.skip(!fs.existsSync(hymenoptera), `the data set is missing at ${hymenoptera}`)
  test.setTimeout(120_000)
  const projectDir = workDir('upload-project')
  await openStudio(page)
  await createProject(page, projectDir, 'Uploaded')
  const source = miniSet()
  await dropFolder(page, source)

  const dialog = page.getByRole('dialog', { name: 'Upload into the project' })
  await expect(dialog.getByTestId('upload-summary')).toHaveText(/^8 files \(.+\) into 2 classes: ants, bees, and 1 picture left unlabelled\.$/)
  await dialog.getByRole('button', { name: 'Upload and import' }).click()
  await expect(dialog.getByTestId('upload-outcome')).toHaveText('6 files uploaded, 2 files refused.', { timeout: 60_000 })
  const refused = dialog.getByRole('list', { name: 'Refused files' })
  await expect(refused).toContainText('bees/broken.jpg: Cannot use bees/broken.jpg: corrupt or truncated JPEG')
  await expect(refused).toContainText('notes.txt: Cannot upload notes.txt:')
  await expect(dialog.getByTestId('report-imported')).toHaveText('6')
  await dialog.getByRole('button', { name: 'Done' }).click()
  await expect(gridTotal(page)).toHaveText('6 images')

  // on the studio's disk: the classes as folders, nothing half-written, nothing refused
  const uploads = path.join(projectDir, 'uploads')
  expect(fs.readdirSync(path.join(uploads, 'ants')).length).toBe(3)
  expect(fs.readdirSync(path.join(uploads, 'bees')).sort()).not.toContain('broken.jpg')
  expect(fs.readdirSync(path.join(uploads, '.incoming'))).toEqual([])

  // one of its folders again, through the folder picker: nothing new, every picture is already in the project
  await page.getByRole('button', { name: 'Upload…' }).click()
  await dialog.getByLabel('Folder to upload').setInputFiles(path.join(source, 'ants'))
  await expect(dialog.getByTestId('upload-summary')).toHaveText(/^3 files .* into 1 class: ants\.$/)
  await dialog.getByRole('button', { name: 'Upload and import' }).click()
  await expect(dialog.getByTestId('upload-outcome')).toHaveText('0 files uploaded, 3 pictures already in the project.', { timeout: 60_000 })
  await dialog.getByRole('button', { name: 'Done' }).click()
  await expect(gridTotal(page)).toHaveText('6 images')
})
