import { defineConfig } from "vite";

// Fixed file names: src/console/assets.rs embeds exactly these files
// (index.html, assets/console.js, assets/console.css, assets/land-50m.json).
export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: false,
    reportCompressedSize: true,
    rollupOptions: {
      output: {
        entryFileNames: "assets/console.js",
        chunkFileNames: "assets/console-[name].js",
        inlineDynamicImports: true,
        assetFileNames: (info) =>
          (info.names ?? []).some((n) => n.endsWith(".css")) ? "assets/console.css" : "assets/[name][extname]",
      },
    },
  },
  server: {
    // `npm run dev` against a running `lookout serve` (console on 8080).
    proxy: { "/lookout.v1.Lookout": "http://127.0.0.1:8080" },
  },
});
