from nesy.cli import main

raise SystemExit(main())
