import MTLCommands

MTLTUI.main()
