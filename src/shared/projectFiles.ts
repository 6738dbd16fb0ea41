/** The studio's database in a project folder: a folder that holds it is a project (the desktop
 * app opens such a folder when it is dropped on the window or handed over by the OS). */
export const PROJECT_DB_FILE = 'thaw.sqlite'
