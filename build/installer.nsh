; Plaud Sync additions to electron-builder's NSIS installer (nsis.include in electron-builder.yml).
;
; What the uninstaller keeps, and why:
; - The recordings library (default: %USERPROFILE%\Music\Plaud Recordings) is outside the install folder, so
;   electron-builder's uninstaller never touches it.
; - Settings and the sync ledger (%APPDATA%\Plaud Sync) are kept because deleteAppDataOnUninstall is false:
;   without the ledger a reinstall would upload every recording again. `Uninstall Plaud Sync.exe --delete-app-data`
;   removes them on purpose.
; - Updates run the old uninstaller silently with --updated; nothing below prompts or aborts then.

!macro customUnInstall
  ${ifNot} ${isUpdated}
    ; The uninstaller removes the whole install folder (RMDir /r). If the user pointed the library into it,
    ; stop before any recording is lost.
    ${if} ${FileExists} "$INSTDIR\Plaud Recordings\*.*"
      MessageBox MB_OK|MB_ICONSTOP "Your recordings are inside the Plaud Sync folder:$\r$\n$INSTDIR\Plaud Recordings$\r$\n$\r$\nMove that folder somewhere else (for example to Music) and run the uninstaller again. Nothing was removed." /SD IDOK
      SetErrorLevel 2
      Quit
    ${endIf}
    DetailPrint "Keeping your recordings library and your Plaud Sync settings and sync history."
  ${endIf}
!macroend
