//! Any generated operation against the emulator, which answers those it does
//! not model from their response shapes: the typed builder, its output, and
//! the paginator's streams of pages and of items.

use aliyun_vod::{Client, Config, Credentials, Format};
use futures::StreamExt as _;
use vod_emulator::{Emulator, EmulatorConfig, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET};

fn client(base_url: String, format: Format) -> Client {
    Client::new(
        Config::new()
            .endpoint(base_url)
            .credentials(Credentials::new(
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_ACCESS_KEY_SECRET,
            ))
            .format(format),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_calls_and_paginators_of_generated_operations() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    for format in [Format::Json, Format::Xml] {
        let client = client(emu.base_url(), format);
        let info = client
            .get_mezzanine_info()
            .video_id("v1")
            .send()
            .await
            .unwrap();
        let video = info.mezzanine.expect("the emulator answers every field");
        assert_eq!(video.video_id.as_deref(), Some("VideoId-example"));
        assert_eq!(video.size, Some(1));

        // A wrapper object in wire shape, and its list directly.
        let play = client.get_play_info().video_id("v1").send().await.unwrap();
        assert_eq!(play.play_info_list().len(), 1);
        assert_eq!(
            play.play_info_list()[0].play_url.as_deref(),
            Some("PlayURL-example")
        );
        assert!(play.play_info_list.is_some());

        let pages: Vec<_> = client
            .get_video_list()
            .page_size(10)
            .into_pages()
            .collect()
            .await;
        assert_eq!(pages.len(), 1, "the emulator reports Total 1");
        let page = pages.into_iter().next().unwrap().unwrap();
        assert_eq!(page.total, Some(1));

        // No total and no size: the emulator's second page is empty and ends it.
        let details: Vec<_> = client
            .get_media_audit_result_detail()
            .media_id("m1")
            .into_items()
            .collect()
            .await;
        assert_eq!(details.len(), 1, "{details:?}");

        let items: Vec<_> = client
            .search_media()
            .page_size(5)
            .into_items()
            .collect()
            .await;
        assert_eq!(items.len(), 1);
        assert!(items[0].is_ok(), "{:?}", items[0]);
    }
    emu.shutdown().await;
}
