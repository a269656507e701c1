from bongsu.cli import main

raise SystemExit(main())
