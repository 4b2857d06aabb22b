; Inno Setup script for LSTM Studio's Windows setup.exe (Inno Setup 6).
; packaging/build.py runs it after PyInstaller, passing the values below with /D:
;   iscc /DAppVersion=<version> /DBundleDir=...\dist\lstm-studio /DIconFile=...\lstm-studio.ico
;        /DOutputDir=...\dist /DOutputName=LSTM-Studio-<version>-windows-x86_64-setup lstm-studio.iss
; The defaults let it also run by hand from this folder after a build.
#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\lstm-studio"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\pyinstaller\lstm_studio\icons\lstm-studio.ico"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef OutputName
  #define OutputName "LSTM-Studio-" + AppVersion + "-windows-x86_64-setup"
#endif
#define AppName "LSTM Studio"
#define AppExe "LSTM Studio.exe"

[Setup]
; The AppId identifies the app across upgrades: never change it.
AppId={{6E0B7C5A-3F4D-4C8E-9A51-2D7B8E4F1C63}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=LSTM Studio contributors
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user install without admin rights unless the user picks "all users".
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename={#OutputName}
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
